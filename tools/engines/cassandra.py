"""Apache Cassandra 5.0 from Maven Central, one node for the wide-column contract suite.

``cassandra-all`` and its runtime dependencies are copied into the cache by
Maven (a small POM of our own); the jar carries no ``conf/`` folder, so the
JVM options Cassandra's start script would read from ``jvm17-server.options``
are written here, and ``cassandra.yaml`` and ``logback.xml`` are written into
the run folder with free ports. Java 17 is required (5.0 refuses newer).

The node is tuned to start fast and stay light on a small machine: one token,
no gossip settling, no fsync of system tables (``cassandra.unsafesystem``), no
snapshot before TRUNCATE or DROP, no JMX server, a 1 GiB heap. It is ready
when the native port answers ``SELECT release_version FROM system.local``.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tools.engines.core import Context, EngineError, EngineState, apt_install, port_open

VERSION = "5.0.9"
PROC = "cassandra-1"
HEAP = "1G"
START_TIMEOUT_S = 180

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>reelstack.engines</groupId>
  <artifactId>cassandra-server</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.cassandra</groupId>
      <artifactId>cassandra-all</artifactId>
      <version>{VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

# The module-system openings Cassandra needs on Java 17, from its
# conf/jvm17-server.options (Chronicle, jamm, Netty and the JMX tooling reach
# into JDK internals).
JPMS = (
    "-Djdk.attach.allowAttachSelf=true",
    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
    "--add-exports=java.management.rmi/com.sun.jmx.remote.internal.rmi=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
    "--add-exports=java.rmi/sun.rmi.server=ALL-UNNAMED",
    "--add-exports=java.sql/java.sql=ALL-UNNAMED",
    "--add-exports=java.base/java.lang.ref=ALL-UNNAMED",
    "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=jdk.attach/sun.tools.attach=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.reflect=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.math=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.module=ALL-UNNAMED",
    "--add-opens=java.base/jdk.internal.util.jar=ALL-UNNAMED",
    "--add-opens=jdk.management/com.sun.management.internal=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.util=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-Dio.netty.allocator.useCacheForAllThreads=true",
    "-Dio.netty.allocator.maxOrder=11",
)

JVM = (
    # A small initial heap: as root Cassandra mlocks what is mapped at start,
    # and locking a whole 1 GiB heap up front costs seconds.
    "-Xms256M",
    f"-Xmx{HEAP}",
    "-Xss256k",
    "-XX:+UseG1GC",
    "-XX:+ParallelRefProcEnabled",
    "-XX:MaxTenuringThreshold=1",
    "-XX:+PerfDisableSharedMem",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.net.preferIPv4Stack=true",
    "-Dcassandra-foreground=yes",
    # Test-only: a lone seed has no gossip to wait for, and system tables
    # need no fsync when the data is thrown away.
    "-Dcassandra.skip_wait_for_gossip_to_settle=0",
    "-Dcassandra.unsafesystem=true",
    "-Dcassandra.ring_delay_ms=0",
)

LOGBACK = """<configuration scan="false">
  <appender name="STDOUT" class="ch.qos.logback.core.ConsoleAppender">
    <encoder><pattern>%-5level [%thread] %date{ISO8601} %F:%L - %msg%n</pattern></encoder>
  </appender>
  <root level="INFO"><appender-ref ref="STDOUT"/></root>
  <logger name="org.apache.cassandra" level="INFO"/>
</configuration>
"""


def _yaml(*, data: Path, native_port: int, storage_port: int, ssl_storage_port: int) -> str:
    return f"""\
cluster_name: reelstack-test
num_tokens: 1
allocate_tokens_for_local_replication_factor: 1
partitioner: org.apache.cassandra.dht.Murmur3Partitioner
endpoint_snitch: SimpleSnitch
seed_provider:
  - class_name: org.apache.cassandra.locator.SimpleSeedProvider
    parameters:
      - seeds: "127.0.0.1:{storage_port}"
listen_address: 127.0.0.1
rpc_address: 127.0.0.1
storage_port: {storage_port}
ssl_storage_port: {ssl_storage_port}
start_native_transport: true
native_transport_port: {native_port}
storage_compatibility_mode: NONE
data_file_directories:
  - {data / "data"}
commitlog_directory: {data / "commitlog"}
saved_caches_directory: {data / "saved_caches"}
hints_directory: {data / "hints"}
cdc_raw_directory: {data / "cdc_raw"}
commitlog_sync: periodic
commitlog_sync_period: 10000ms
authenticator: AllowAllAuthenticator
authorizer: AllowAllAuthorizer
role_manager: CassandraRoleManager
hinted_handoff_enabled: false
auto_snapshot: false
snapshot_before_compaction: false
incremental_backups: false
concurrent_compactors: 1
concurrent_reads: 8
concurrent_writes: 8
concurrent_counter_writes: 8
key_cache_size: 8MiB
disk_failure_policy: stop
commit_failure_policy: stop
materialized_views_enabled: false
sasi_indexes_enabled: false
user_defined_functions_enabled: false
dynamic_snitch: false
"""


class Cassandra:
    """One Cassandra 5.0 node; offers ``REELSTACK_TEST_CASSANDRA`` (``HOST:PORT``)."""

    name = "cassandra"

    def install(self, ctx: Context) -> None:
        java = _java()
        if java is None:
            arch = ctx.run(["dpkg", "--print-architecture"], what="ask dpkg the architecture")
            expected = f"/usr/lib/jvm/java-17-openjdk-{arch.strip()}/bin/java"
            apt_install(ctx, ["openjdk-17-jre-headless"], check=[expected])
            java = Path(expected)
        if shutil.which("mvn") is None:
            apt_install(ctx, ["maven"], check=["/usr/bin/mvn"])
        lib = self._lib(ctx)
        if (lib / f"cassandra-all-{VERSION}.jar").is_file() and (lib / ".complete").is_file():
            return
        ctx.cache_dir.mkdir(parents=True, exist_ok=True)
        pom = ctx.cache_dir / "pom.xml"
        pom.write_text(POM)
        shutil.rmtree(lib, ignore_errors=True)
        ctx.run(
            [
                "mvn",
                "-q",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={lib}",
            ],
            what=f"download cassandra-all {VERSION} and its dependencies",
            timeout_s=900,
            env={**os.environ, "JAVA_HOME": str(java.parent.parent)},
        )
        (lib / ".complete").write_text(VERSION)

    @staticmethod
    def _lib(ctx: Context) -> Path:
        return ctx.cache_dir / f"lib-{VERSION}"

    def start(self, ctx: Context) -> EngineState:
        lib = self._lib(ctx)
        java = _java()
        if java is None:
            raise EngineError("cassandra: no java 17 in /usr/lib/jvm (install runs first)")
        jamm = sorted(lib.glob("jamm-*.jar"))
        if not jamm:
            raise EngineError(f"cassandra: no jamm jar in {lib} (remove it to download again)")
        conf = ctx.run_dir / "conf"
        data = ctx.run_dir / "data"
        for folder in (conf, data):
            folder.mkdir(parents=True, exist_ok=True)
        native_port, storage_port, ssl_storage_port = _distinct_ports(ctx, 3)
        (conf / "cassandra.yaml").write_text(
            _yaml(
                data=data,
                native_port=native_port,
                storage_port=storage_port,
                ssl_storage_port=ssl_storage_port,
            )
        )
        (conf / "logback.xml").write_text(LOGBACK)
        classpath = os.pathsep.join([str(conf), *sorted(str(j) for j in lib.glob("*.jar"))])
        argv = [
            str(java),
            *JVM,
            *JPMS,
            f"-javaagent:{jamm[0]}",
            f"-Dcassandra.config=file://{conf / 'cassandra.yaml'}",
            f"-Dcassandra.storagedir={data}",
            f"-Dcassandra.logdir={ctx.run_dir / 'logs'}",
            f"-Dlogback.configurationFile=file://{conf / 'logback.xml'}",
            "-cp",
            classpath,
            "org.apache.cassandra.service.CassandraDaemon",
        ]
        process = ctx.spawn(PROC, argv, env={"JAVA_HOME": str(java.parent.parent)}, cwd=ctx.run_dir)
        ctx.wait_until(
            lambda: _answers(native_port),
            what="cassandra answering CQL",
            timeout_s=START_TIMEOUT_S,
            processes=[process],
            interval_s=0.5,
        )
        return EngineState(
            name=self.name,
            processes={PROC: process},
            env={"REELSTACK_TEST_CASSANDRA": f"127.0.0.1:{native_port}"},
            extra={"port": native_port, "storage_port": storage_port, "version": VERSION},
        )

    def ready(self, state: EngineState, proc_name: str) -> bool:
        return _answers(int(state.extra["port"]))


def _java() -> Path | None:
    """Debian's OpenJDK 17 ``java`` (its folder is named after the architecture)."""
    for home in sorted(Path("/usr/lib/jvm").glob("java-17-openjdk-*")):
        java = home / "bin" / "java"
        if java.is_file() and os.access(java, os.X_OK):
            return java
    return None


def _distinct_ports(ctx: Context, count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = ctx.free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _answers(port: int) -> bool:
    """Whether the node at ``127.0.0.1:port`` answers a CQL query."""
    if not port_open("127.0.0.1", port):
        return False
    from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile
    from cassandra.policies import RoundRobinPolicy

    profile = ExecutionProfile(load_balancing_policy=RoundRobinPolicy(), request_timeout=5)
    cluster = Cluster(
        [("127.0.0.1", port)],
        connect_timeout=5,
        control_connection_timeout=5,
        protocol_version=5,
        execution_profiles={EXEC_PROFILE_DEFAULT: profile},
    )
    try:
        session = cluster.connect()
        row = session.execute("SELECT release_version FROM system.local", timeout=5).one()
        return row is not None and bool(row.release_version)
    finally:
        cluster.shutdown()
