"""Apache Kafka (KRaft): a three-node cluster on 127.0.0.1 for the EventLog suites.

Kafka comes from Maven Central (``org.apache.kafka:kafka_2.13`` and a log4j2
backend, which its POM leaves out), copied once into the cache. Each node is
both broker and controller, and the three are the controller quorum's voters,
so one node may be stopped or killed and the cluster keeps serving: that is
what the fault tests do. Replication is set for them: new topics get three
replicas and need two in sync (``min.insync.replicas=2``), as a production
cluster would.

Test-only settings: groups rebalance at once (no initial delay) and accept
sessions down to 100 ms, so the suites can wait out a dead member quickly;
the group and transaction topics have few partitions, so they are created in
a second; topics are never created implicitly; a stopped node is noticed
within 3 s; small heaps, the client compiler only (three JVMs on two cores);
no controlled shutdown, so SIGTERM stops a node in about 2 s instead of
waiting for the quorum (the last node of three has none).

Storage is formatted for the three nodes at once, then the nodes start: on
two busy cores about 1 s and 4 to 10 s, ready when every broker accepts
connections and the metadata lists all three.
"""

from __future__ import annotations

import base64
import secrets
import shutil
import subprocess
import uuid
from pathlib import Path

from tools.engines.core import (
    Context,
    EngineError,
    EngineState,
    ProcessState,
    apt_install,
    port_open,
)

KAFKA_VERSION = "4.1.2"
LOG4J_VERSION = "2.25.3"
NODES = 3
HEAP = "-Xmx512m"
ENV_VAR = "REELSTACK_TEST_KAFKA"
SASL_ENV_VAR = "REELSTACK_TEST_KAFKA_SASL"
"""The same brokers' SASL/PLAIN listeners (the deploy files' shape), comma-separated."""
SASL_PASSWORD_ENV_VAR = "REELSTACK_TEST_KAFKA_SASL_PASSWORD"
SASL_USER = "reelstack"
START_TIMEOUT_S = 120.0

POM = f"""<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>reelstack.engines</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>{KAFKA_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-core</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-1.2-api</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
</project>
"""

# Warnings and up, plus the line that says a node is up (kept for the logs).
LOG4J2 = """status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.out.ref = out
logger.raft.name = kafka.server.KafkaRaftServer
logger.raft.level = info
"""

JVM_FLAGS = [
    HEAP,
    "-Xms128m",
    "-Xss512k",
    # Two cores shared by three JVMs and the tests: a serial collector costs less.
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Djava.awt.headless=true",
]


def _cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not '-' first."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def _properties(
    node: int, ports: dict[int, tuple[int, int]], sasl: int, password: str, data: Path
) -> str:
    broker, controller = ports[node]
    voters = ",".join(f"{n}@127.0.0.1:{c}" for n, (_, c) in sorted(ports.items()))
    settings = {
        "process.roles": "broker,controller",
        "node.id": str(node),
        "controller.quorum.voters": voters,
        "listeners": (
            f"PLAINTEXT://127.0.0.1:{broker},SASL://127.0.0.1:{sasl},"
            f"CONTROLLER://127.0.0.1:{controller}"
        ),
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{broker},SASL://127.0.0.1:{sasl}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": (
            "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,SASL:SASL_PLAINTEXT"
        ),
        # A second client listener as the deploy files run Kafka (SASL/PLAIN):
        # the suites prove the adapter authenticates, and is refused without.
        "sasl.enabled.mechanisms": "PLAIN",
        "listener.name.sasl.plain.sasl.jaas.config": (
            "org.apache.kafka.common.security.plain.PlainLoginModule required"
            f' user_{SASL_USER}="{password}";'
        ),
        "log.dirs": str(data),
        "num.partitions": "1",
        "default.replication.factor": "3",
        "min.insync.replicas": "2",
        "offsets.topic.replication.factor": "3",
        "offsets.topic.num.partitions": "6",
        "transaction.state.log.replication.factor": "3",
        "transaction.state.log.min.isr": "2",
        "transaction.state.log.num.partitions": "6",
        "share.coordinator.state.topic.replication.factor": "3",
        "share.coordinator.state.topic.min.isr": "2",
        "auto.create.topics.enable": "false",
        "group.initial.rebalance.delay.ms": "0",
        "group.min.session.timeout.ms": "100",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "1",
        "log.flush.interval.messages": "9223372036854775807",
        # A stopped node is noticed within a couple of seconds.
        "broker.session.timeout.ms": "3000",
        "broker.heartbeat.interval.ms": "500",
        "controller.quorum.election.timeout.ms": "1000",
        "controller.quorum.fetch.timeout.ms": "2000",
        "replica.lag.time.max.ms": "5000",
        "delete.topic.enable": "true",
        "controlled.shutdown.enable": "false",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())


class Kafka:
    """Three Kafka nodes (broker and controller each) from Maven Central jars."""

    name = "kafka"

    def lib(self, ctx: Context) -> Path:
        return ctx.cache_dir / f"kafka-{KAFKA_VERSION}" / "lib"

    def install(self, ctx: Context) -> None:
        """Copy Kafka and its runtime dependencies into the cache (once)."""
        lib = self.lib(ctx)
        marker = lib / ".complete"
        if marker.exists():
            return
        if shutil.which("java") is None or shutil.which("mvn") is None:
            apt_install(
                ctx, ["openjdk-17-jre-headless", "maven"], check=["/usr/bin/java", "/usr/bin/mvn"]
            )
        project = lib.parent
        project.mkdir(parents=True, exist_ok=True)
        (project / "pom.xml").write_text(POM)
        shutil.rmtree(lib, ignore_errors=True)
        ctx.run(
            [
                "mvn",
                "-q",
                "-B",
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={lib}",
            ],
            what=f"download Kafka {KAFKA_VERSION} from Maven Central",
            cwd=project,
        )
        if not any(lib.glob(f"kafka_2.13-{KAFKA_VERSION}.jar")):
            raise EngineError(f"kafka: {lib} has no kafka_2.13-{KAFKA_VERSION}.jar after mvn")
        marker.touch()

    def _java(self, ctx: Context, main: str, *args: str) -> list[str]:
        log4j = ctx.run_dir / "log4j2.properties"
        return [
            "java",
            *JVM_FLAGS,
            f"-Dlog4j2.configurationFile={log4j}",
            "-cp",
            f"{self.lib(ctx)}/*",
            main,
            *args,
        ]

    def start(self, ctx: Context) -> EngineState:
        """Format three nodes' storage, start them, wait until all three brokers serve."""
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        (ctx.run_dir / "log4j2.properties").write_text(LOG4J2)
        ports = {node: (ctx.free_port(), ctx.free_port()) for node in range(1, NODES + 1)}
        sasl = {node: ctx.free_port() for node in ports}
        password = secrets.token_hex(16)
        cluster = _cluster_id()
        configs: dict[int, Path] = {}
        for node in ports:
            folder = ctx.run_dir / f"kafka-{node}"
            folder.mkdir(parents=True, exist_ok=True)
            configs[node] = folder / "server.properties"
            configs[node].write_text(
                _properties(node, ports, sasl[node], password, folder / "data")
            )
        self._format(ctx, cluster, configs)
        processes: dict[str, ProcessState] = {}
        for node, config in configs.items():
            name = f"kafka-{node}"
            processes[name] = ctx.spawn(
                name, self._java(ctx, "kafka.Kafka", str(config)), cwd=config.parent
            )
        servers = ",".join(f"127.0.0.1:{broker}" for broker, _ in ports.values())
        state = EngineState(
            name=self.name,
            processes=processes,
            env={
                ENV_VAR: servers,
                SASL_ENV_VAR: ",".join(f"127.0.0.1:{port}" for port in sasl.values()),
                SASL_PASSWORD_ENV_VAR: password,
            },
            extra={
                "version": KAFKA_VERSION,
                "cluster_id": cluster,
                "brokers": {f"kafka-{n}": f"127.0.0.1:{b}" for n, (b, _) in ports.items()},
            },
        )
        ctx.wait_until(
            lambda: _brokers_seen(servers) == NODES,
            what=f"kafka: {NODES} brokers at {servers}",
            timeout_s=START_TIMEOUT_S,
            processes=list(processes.values()),
        )
        return state

    def _format(self, ctx: Context, cluster: str, configs: dict[int, Path]) -> None:
        """Write each node's meta.properties (in parallel: each run is a JVM start)."""
        running = [
            (
                node,
                subprocess.Popen(
                    self._java(
                        ctx, "kafka.tools.StorageTool", "format", "-t", cluster, "-c", str(config)
                    ),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
            for node, config in configs.items()
        ]
        failures = []
        for node, child in running:
            try:
                out, _ = child.communicate(timeout=120)
            except subprocess.TimeoutExpired:
                child.kill()
                out, _ = child.communicate()
            if child.returncode != 0:
                failures.append(f"node {node} ({child.returncode}):\n{out[-2000:]}")
        if failures:
            raise EngineError("kafka: formatting storage failed for " + "\n".join(failures))

    def ready(self, state: EngineState, proc_name: str) -> bool:
        """Whether the broker ``proc_name`` accepts connections and is in the metadata."""
        address = state.extra["brokers"][proc_name]
        host, _, port = address.rpartition(":")
        if not port_open(host, int(port)):
            return False
        node = int(proc_name.rsplit("-", 1)[1])
        return node in _broker_ids(state.env[ENV_VAR])


def _broker_ids(servers: str) -> set[int]:
    """The ids of the brokers the cluster's metadata lists now (empty if unreachable)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": servers, "socket.connection.setup.timeout.ms": 2000})
    try:
        metadata = admin.list_topics(timeout=2)
    except Exception:  # noqa: BLE001 - not up yet
        return set()
    return set(metadata.brokers)


def _brokers_seen(servers: str) -> int:
    # Every broker must accept connections, not only the one that answered.
    for address in servers.split(","):
        host, _, port = address.rpartition(":")
        if not port_open(host, int(port)):
            return 0
    return len(_broker_ids(servers))
