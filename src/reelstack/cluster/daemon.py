"""The supervisor process: ``python -m reelstack.cluster.daemon``.

``reelstack up`` starts it detached (a new session, stdout and stderr to
``<home>/logs/supervisor.log``). It takes the supervisor lock, stops what a
previous supervisor that died left behind, serves the control API, starts
every service's instances and keeps them running until ``POST /shutdown``,
SIGTERM or SIGINT; then it stops them all gracefully and exits.

Exit codes: 0 stopped, 1 another supervisor runs for this home, 2 an invalid
setting, 3 the control port is taken.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import web

from reelstack import services, settings
from reelstack.chassis import logs
from reelstack.chassis.server import bind
from reelstack.cluster import auth, procs, statefile
from reelstack.cluster.api import create_app
from reelstack.cluster.forks import ForkServer
from reelstack.cluster.health import HttpHealthCheck
from reelstack.cluster.instance import Launcher
from reelstack.cluster.model import State, zone_of
from reelstack.cluster.spares import SparePool
from reelstack.cluster.statefile import SupervisorLock, SupervisorRecord
from reelstack.cluster.supervisor import ClusterPlan, Supervisor
from reelstack.config import Config, Setting
from reelstack.errors import ConfigError, PortInUseError, SpecError
from reelstack.gateway import settings as gateway_settings
from reelstack.registry import settings as registry_settings
from reelstack.registry_credentials import cluster_key

log = logging.getLogger("reelstack.cluster.daemon")

EXIT_OK = 0
EXIT_ALREADY_RUNNING = 1
EXIT_CONFIG = 2
EXIT_PORT_IN_USE = 3

INSTANCE_COMMAND = (sys.executable, "-m", procs.INSTANCE_MODULE)
REGISTRY = "registry"
GATEWAY = "gateway"
LOCAL_INTERVALS = {
    settings.EUREKA_RENEWAL_INTERVAL_S: "5",
    settings.EUREKA_LEASE_DURATION_S: "15",
    settings.EUREKA_FETCH_INTERVAL_S: "2",
    registry_settings.REGISTRY_EVICTION_INTERVAL_S: "5",
}
# How long leftovers of a dead supervisor get to drain before SIGKILL.
LEFTOVER_GRACE_S = 5.0


def plan_for(config: Config) -> ClusterPlan:
    """Return what to run: every known service, spread over the configured zones."""
    default_count = config.get(settings.CLUSTER_INSTANCES)
    zones: tuple[str, ...] = config.get(settings.CLUSTER_ZONES)
    return ClusterPlan(
        services={
            name: spec.instances or default_count for name, spec in services.of(config).items()
        },
        zones=zones,
        primary_version=config.get(settings.SERVICE_VERSION),
    )


def stop_leftovers(home: Path) -> list[int]:
    """Stop instances a previous supervisor of ``home`` left running; return their pids."""
    refs: set[procs.ProcessRef] = set()
    record = statefile.read(home)
    if record is not None:
        refs.update(instance.ref for instance in record.instances.values())
    refs.update(procs.find_cluster_processes(home, markers=procs.INSTANCE_MARKERS))
    stopped = procs.terminate(refs, LEFTOVER_GRACE_S)
    if stopped:
        log.warning("stopped %d instances left by a previous supervisor: %s", len(stopped), stopped)
    return stopped


def registry_ports(config: Config, plan: ClusterPlan) -> dict[tuple[str, int], int]:
    """Return the fixed port of each registry instance; a 0 becomes a free port now."""
    count = plan.services.get(REGISTRY, 0)
    if count == 0:
        return {}
    configured: tuple[int, ...] = config.get(settings.CLUSTER_REGISTRY_PORTS)
    ports: dict[tuple[str, int], int] = {}
    for slot in range(count):
        port = configured[slot] if slot < len(configured) else 0
        ports[(REGISTRY, slot)] = port or procs.free_port("127.0.0.1")
    return ports


def _named(setting: Setting[Any], note: str) -> str:
    """A setting as a message names it: its key, its variable and how to write it."""
    return f"{setting.key} ({setting.env}; {note})"


def fixed_ports(config: Config, plan: ClusterPlan) -> dict[tuple[str, int], int]:
    """Return every instance that listens on a known port: the registry's, and the
    gateway's first instance on ``gateway.port`` (the front door, 8080 by default)."""
    ports = registry_ports(config, plan)
    if plan.services.get(GATEWAY, 0) > 0:
        port = config.get(gateway_settings.GATEWAY_PORT)
        ports[(GATEWAY, 0)] = port or procs.free_port("127.0.0.1")
    return ports


def mesh_env(
    config: Config, plan: ClusterPlan, fixed: dict[tuple[str, int], int]
) -> dict[str, str]:
    """Return what every instance needs to find the registry (Eureka's service URLs).

    Intervals shorter than Eureka's 30 s make a laptop cluster notice a
    new or gone instance in seconds; a value set by the user wins.
    """
    registries = sorted(
        (slot, port) for (service, slot), port in fixed.items() if service == REGISTRY
    )
    if not registries:
        return {}
    urls = ",".join(
        f"{zone_of(slot, plan.zones)[0]}=http://127.0.0.1:{port}/eureka"
        for slot, port in registries
    )
    env = {settings.EUREKA_URLS.env: urls}
    for setting, value in LOCAL_INTERVALS.items():
        if config.resolved(setting).source == "default":
            env[setting.env] = value
    return env


async def serve(config: Config, plan: ClusterPlan, home: Path, sock: socket.socket) -> int:
    """Run the supervisor and its control API until asked to stop."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    # Made (or checked) before the state file names the port: a client that
    # finds the port finds the token too.
    token = auth.ensure(home)
    me = procs.ProcessRef.of(os.getpid())
    record = SupervisorRecord(
        pid=os.getpid(),
        create_time=me.create_time if me else time.time(),
        control_port=sock.getsockname()[1],
        started_at=time.time(),
        home=str(home),
    )
    fixed = fixed_ports(config, plan)
    # Made (0600, under the home) before any instance starts, so every
    # instance reads the same secret rather than racing to make one.
    cluster_key(config)
    async with HttpHealthCheck.new_session() as session:
        launcher = Launcher(
            command=INSTANCE_COMMAND,
            # Instances inherit this process' environment (PATH, the
            # interpreter's settings, REELSTACK_*), then get their own
            # identity and the registry's address.
            env={**os.environ, **mesh_env(config, plan, fixed)},
            home=home,
            health=HttpHealthCheck(session),
            grace_s=config.get(settings.SHUTDOWN_GRACE_S),
            fixed_ports=fixed,
            port_settings={
                GATEWAY: _named(gateway_settings.GATEWAY_PORT, "0: any free port"),
                REGISTRY: _named(settings.CLUSTER_REGISTRY_PORTS, "one per instance"),
            },
            primary_version=plan.primary_version,
        )
        if config.get(settings.CLUSTER_FORK) and sys.platform == "linux":
            # Started first: it preloads while the control API comes up, and
            # every instance (replacements too) is forked from it.
            launcher.forks = ForkServer(env=launcher.env, home=home)
            launcher.forks.start()
        # A fork replaces a dead instance as fast as a spare would, so spares
        # are kept only for instances started as fresh interpreters.
        spare_count = 0 if launcher.forks is not None else config.get(settings.CLUSTER_SPARES)
        spares = SparePool(env=launcher.env, home=home, size=spare_count)
        launcher.spares = spares
        supervisor = Supervisor(plan, launcher)

        def persist() -> None:
            record.instances = supervisor.process_records()
            statefile.write(home, record)

        launcher.on_change = persist
        runner = web.AppRunner(
            create_app(supervisor, stop.set, token=token), access_log=None, handle_signals=False
        )
        await runner.setup()
        await web.SockSite(runner, sock).start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        try:
            # Instances are listed before the state file names the port, so the
            # first answer `reelstack up` gets already holds all of them.
            await supervisor.start()
            persist()
            log.info(
                "supervisor %d for %s: control API on %s",
                os.getpid(),
                home,
                record.control_url,
                extra={"control_port": record.control_port, "home": str(home)},
            )
            warm = asyncio.create_task(_start_spares_once_up(supervisor, spares))
            await stop.wait()
            log.info("shutting down")
            warm.cancel()
        finally:
            await spares.close()
            stopped = await supervisor.shutdown()
            log.info("stopped %d instances: %s", len(stopped), ", ".join(stopped))
            if launcher.forks is not None:
                await launcher.forks.close()
            await runner.cleanup()
            statefile.remove(home)
    return EXIT_OK


async def _start_spares_once_up(supervisor: Supervisor, spares: SparePool) -> None:
    # Spares import what instances import: starting them while the first
    # instances start would only slow those down.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if all(view["state"] == State.UP for view in supervisor.views()):
            break
        await asyncio.sleep(0.5)
    spares.start()


def main() -> int:
    """Run the supervisor; return the exit code."""
    logs.configure(service="supervisor", instance="supervisor")
    try:
        config = settings.load()
        plan = plan_for(config)
    except ConfigError as exc:
        log.error(str(exc), extra={"error": "ConfigError", "key": exc.key, "source": exc.source})
        return EXIT_CONFIG
    except SpecError as exc:
        log.error(str(exc), extra={"error": "SpecError", "service": exc.service})
        return EXIT_CONFIG
    home = Path(config.get(settings.HOME))
    lock = SupervisorLock(home)
    if not lock.acquire():
        log.error("a supervisor already runs for %s", home)
        return EXIT_ALREADY_RUNNING
    try:
        try:
            sock = bind("127.0.0.1", config.get(settings.CLUSTER_CONTROL_PORT), "supervisor")
        except PortInUseError as exc:
            log.error(
                "%s: set cluster.control_port (REELSTACK_CLUSTER_CONTROL_PORT) to another "
                "port, or 0 for any free one",
                exc,
                extra={"error": "PortInUseError", "port": exc.port},
            )
            return EXIT_PORT_IN_USE
        stop_leftovers(home)
        with sock:
            return asyncio.run(serve(config, plan, home, sock))
    finally:
        lock.release()


if __name__ == "__main__":
    sys.exit(main())
