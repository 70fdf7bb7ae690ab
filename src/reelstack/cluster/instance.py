"""One supervised instance: spawn it, watch it, restart it when it dies.

Each instance has a task that owns its process: it spawns the process, awaits
its exit (asyncio's child watching, so a death is seen at once, not at the
next poll) and decides what comes next:

- exit 3 (port taken by a race): a new port, at once;
- exit 2 (an invalid setting): down with the reason; a restart would fail
  the same way, so it waits for ``instances start``;
- killed through the control API (chaos), or died after running stably for
  ``stable_after_s``: restarted at once;
- died soon after starting: restarted after a crash-loop delay (0.5 s
  doubling to 30 s).

A health task polls ``/health`` while the process runs; the instance is
``up`` while it answers with the expected instance id and pid.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from reelstack.cluster import procs, statefile
from reelstack.cluster.model import Backoff, InstanceSpec, State, describe_exit
from reelstack.cluster.procs import InstanceProcess, ProcessRef
from reelstack.errors import ConflictError
from reelstack.pdeathsig import parent_death_signal

if TYPE_CHECKING:
    from reelstack.cluster.forks import ForkServer
    from reelstack.cluster.spares import SparePool

log = logging.getLogger(__name__)

# Exit codes of reelstack.chassis.run.
EXIT_CONFIG = 2
EXIT_PORT_IN_USE = 3
# Port races in a row before the crash-loop delay applies to them too.
MAX_PORT_RETRIES = 5
# Consecutive failed health checks before an up instance counts as starting again:
# one slow answer on a busy machine should not pull it out of discovery.
HEALTH_FAILURES_TO_DEMOTE = 3


class HealthCheck(Protocol):
    """Asks an instance whether it is up."""

    async def __call__(self, host: str, port: int, instance_id: str, pid: int) -> bool: ...


@dataclass
class Launcher:
    """What every instance of one supervisor shares: how to start and check one."""

    command: Sequence[str]
    env: Mapping[str, str]
    home: Path
    health: HealthCheck
    host: str = "127.0.0.1"
    grace_s: float = 10.0
    stable_after_s: float = 10.0
    crash_backoff_s: float = 0.5
    health_interval_s: float = 0.2
    up_health_interval_s: float = 0.5
    on_change: Callable[[], None] = field(default=lambda: None)
    # Where an instance's process comes from, first that has one: a fork of
    # the preloaded parent, a warm spare, else a fresh interpreter.
    forks: ForkServer | None = None
    spares: SparePool | None = None
    # (service, slot) -> the port that instance always listens on: services
    # others find by address rather than through the registry (the registry).
    fixed_ports: Mapping[tuple[str, int], int] = field(default_factory=dict)
    # service -> the setting that moves its fixed port, named when it is taken.
    port_settings: Mapping[str, str] = field(default_factory=dict)
    primary_version: str = ""

    def fixed_port(self, spec: InstanceSpec) -> int | None:
        """Return the port ``spec``'s instance must use, if it has one."""
        if spec.version != self.primary_version:
            return None
        return self.fixed_ports.get((spec.service, spec.slot))

    def instance_env(self, spec: InstanceSpec, port: int) -> dict[str, str]:
        """Return the environment of an instance: it is configured by nothing else."""
        env = dict(self.env)
        env.update(
            {
                "REELSTACK_HOME": str(self.home),
                "REELSTACK_SERVICE_NAME": spec.service,
                "REELSTACK_SERVICE_HOST": self.host,
                "REELSTACK_SERVICE_PORT": str(port),
                "REELSTACK_SERVICE_ZONE": spec.zone,
                "REELSTACK_SERVICE_VERSION": spec.version,
                "REELSTACK_INSTANCE_ID": spec.instance_id,
            }
        )
        return env


class Desired(Enum):
    RUNNING = "running"
    STOPPED = "stopped"


class ManagedInstance:
    """An instance the supervisor keeps running (or stopped) as asked."""

    def __init__(self, spec: InstanceSpec, launcher: Launcher) -> None:
        self.spec = spec
        self.launcher = launcher
        self.state = State.DOWN
        self.desired = Desired.STOPPED
        self.port: int | None = None
        self.process: InstanceProcess | None = None
        self.ref: ProcessRef | None = None
        self.restarts = 0
        self.started_at: float | None = None
        self.up_at: float | None = None
        self.last_exit: int | None = None
        self.reason = "not started"
        self.backoff = Backoff(initial_s=launcher.crash_backoff_s)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._killed_on_purpose = False

    @property
    def instance_id(self) -> str:
        return self.spec.instance_id

    @property
    def log_path(self) -> Path:
        return statefile.instance_log(self.launcher.home, self.instance_id)

    def view(self) -> dict[str, Any]:
        """Return what the control API reports about this instance."""
        return {
            "service": self.spec.service,
            "instance": self.instance_id,
            "zone": self.spec.zone,
            "version": self.spec.version,
            "host": self.launcher.host,
            "port": self.port,
            "pid": self.ref.pid if self.ref else None,
            "state": self.state.value,
            "desired": self.desired.value,
            "restarts": self.restarts,
            "started_at": self.started_at,
            "up_at": self.up_at,
            "last_exit": self.last_exit,
            "reason": self.reason,
            "log": str(self.log_path),
        }

    # -- commands ------------------------------------------------------------------

    def start(self) -> None:
        """Run the instance (again); nothing happens if it already runs."""
        self.desired = Desired.RUNNING
        if self._task is not None and not self._task.done():
            # Waiting out a crash-loop delay: asked to start, so start now.
            self.backoff.reset()
            self._wake.set()
            return
        self.backoff.reset()
        self.reason = "starting"
        self._wake.clear()
        self._task = asyncio.create_task(self._run(), name=f"instance-{self.instance_id}")

    def kill(self) -> int:
        """SIGKILL the process (chaos); the instance is restarted at once. Return the pid."""
        proc = self.process
        if proc is None or proc.returncode is not None:
            raise ConflictError(f"instance {self.instance_id} has no running process to kill")
        self._killed_on_purpose = True
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        log.info("killed %s (pid %d) on request", self.instance_id, proc.pid)
        return proc.pid

    async def stop(self) -> None:
        """Stop gracefully: SIGTERM, SIGKILL after the grace period; stay down."""
        self.desired = Desired.STOPPED
        self._wake.set()
        task = self._task
        if task is None:
            return
        if self._signal(signal.SIGTERM):
            self.reason = "stopping"
        # The chassis drains for shutdown_grace_s; allow for its lifespan too.
        done, _ = await asyncio.wait({task}, timeout=self.launcher.grace_s + 5)
        if not done:
            log.warning("%s did not stop on SIGTERM: killing it", self.instance_id)
            self._signal(signal.SIGKILL)
        await asyncio.gather(task, return_exceptions=True)
        self.reason = "stopped"

    def _signal(self, sig: signal.Signals) -> bool:
        """Send ``sig`` to the running process; return whether there was one."""
        proc = self.process
        if proc is None or proc.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(sig)
        return True

    async def restart(self) -> None:
        """Stop gracefully, then start again (same id, zone and version)."""
        await self.stop()
        self.restarts += 1
        self.start()

    # -- the run loop ------------------------------------------------------------

    def _choose_port(self) -> int:
        fixed = self.launcher.fixed_port(self.spec)
        if fixed is not None:
            return fixed
        # The same port as before when it is free: clients that remember the
        # address find the replacement.
        if self.port is not None and procs.port_is_free(self.port, self.launcher.host):
            return self.port
        return procs.free_port(self.launcher.host)

    async def _spawn(self, port: int) -> InstanceProcess:
        path = self.log_path
        path.parent.mkdir(parents=True, exist_ok=True)
        env = self.launcher.instance_env(self.spec, port)
        if self.launcher.forks is not None:
            forked = await self.launcher.forks.spawn(env, path)
            if forked is not None:
                return forked
        if self.launcher.spares is not None:
            spare = await self.launcher.spares.become(env, path)
            if spare is not None:
                return spare
        with path.open("ab") as out:
            return await asyncio.create_subprocess_exec(
                *self.launcher.command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=out,
                stderr=asyncio.subprocess.STDOUT,
                env=env,
                preexec_fn=parent_death_signal(),
            )

    async def _pause(self, delay: float) -> None:
        """Wait ``delay`` seconds, or less if a command (stop) wakes us."""
        self._wake.clear()
        if self.desired is not Desired.RUNNING:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), delay)

    def _should_run(self) -> bool:
        # A method, not an inline test: commands change `desired` while the loop awaits.
        return self.desired is Desired.RUNNING

    async def _run(self) -> None:
        delay = 0.0
        port_races = 0
        while self._should_run():
            if delay > 0:
                self.reason = f"{self.reason}; restarting in {delay:.1f}s"
                await self._pause(delay)
                if not self._should_run():
                    break
            port = self._choose_port()
            try:
                proc = await self._spawn(port)
            except OSError as exc:
                log.error("cannot start %s: %s", self.instance_id, exc)
                self.reason = f"cannot start: {exc}"
                delay = self.backoff.next()
                continue
            spawned = time.monotonic()
            self.port = port
            self.process = proc
            self.ref = ProcessRef.of(proc.pid) or ProcessRef(proc.pid, time.time())
            self.state = State.STARTING
            self.started_at = time.time()
            self.up_at = None
            self.reason = "waiting for /health"
            self.launcher.on_change()
            log.info(
                "started %s pid %d on port %d",
                self.instance_id,
                proc.pid,
                port,
                extra={"instance_id": self.instance_id, "pid": proc.pid, "port": port},
            )
            if not self._should_run():
                # Stopped while the process was being started.
                self._signal(signal.SIGTERM)
            health = asyncio.create_task(self._watch_health(proc, port))
            try:
                returncode = await proc.wait()
            finally:
                health.cancel()
                await asyncio.gather(health, return_exceptions=True)
            uptime = time.monotonic() - spawned
            # uvicorn also exits 3 when the app fails to start: only a port
            # someone else now holds is a port race.
            taken = returncode == EXIT_PORT_IN_USE and not procs.port_is_free(
                port, self.launcher.host
            )
            # A fixed port is never swapped for another: wait (backoff) for it.
            port_race = taken and self.launcher.fixed_port(self.spec) is None
            self.process = None
            self.ref = None
            self.state = State.DOWN
            self.last_exit = returncode
            self.reason = describe_exit(returncode)
            if taken and not port_race:
                self.reason = f"its fixed port {port} is taken by another process"
                if (setting := self.launcher.port_settings.get(self.spec.service)) is not None:
                    self.reason += f": stop that process, or set {setting} to another port"
            elif returncode == EXIT_PORT_IN_USE and not port_race:
                self.reason = f"exited with code {returncode} (start-up failed)"
            self.launcher.on_change()
            on_purpose, self._killed_on_purpose = self._killed_on_purpose, False
            log.log(
                logging.INFO if not self._should_run() or on_purpose else logging.WARNING,
                "%s (pid %d) %s after %.1fs",
                self.instance_id,
                proc.pid,
                self.reason,
                uptime,
                extra={"instance_id": self.instance_id, "returncode": returncode},
            )
            if not self._should_run():
                break
            self.restarts += 1
            if port_race:
                port_races += 1
                self.port = None
            else:
                port_races = 0
            delay = self._delay_after(uptime, on_purpose, port_races)
            if returncode == EXIT_CONFIG:
                self.desired = Desired.STOPPED
                last = procs.tail(self.log_path, lines=1)
                if last:
                    self.reason = f"{self.reason}: {procs.readable(last)}"
                log.error(
                    "%s will not be restarted: fix the setting, then start it", self.instance_id
                )
                break

    def _delay_after(self, uptime: float, on_purpose: bool, port_races: int) -> float:
        if 0 < port_races <= MAX_PORT_RETRIES:
            return 0.0
        if on_purpose or uptime >= self.launcher.stable_after_s:
            self.backoff.reset()
            return 0.0
        return self.backoff.next()

    async def _watch_health(self, proc: InstanceProcess, port: int) -> None:
        failures = 0
        while proc.returncode is None:
            ok = await self.launcher.health(self.launcher.host, port, self.instance_id, proc.pid)
            if proc.returncode is not None:
                return
            if ok:
                failures = 0
                if self.state is not State.UP:
                    self.state = State.UP
                    self.up_at = time.time()
                    self.reason = ""
                    log.info("%s is up", self.instance_id, extra={"instance_id": self.instance_id})
            else:
                failures += 1
                # A stopping instance stops answering on purpose while it drains.
                stopping = not self._should_run()
                if (
                    self.state is State.UP
                    and failures >= HEALTH_FAILURES_TO_DEMOTE
                    and not stopping
                ):
                    self.state = State.STARTING
                    self.reason = "/health stopped answering"
                    log.warning("%s: /health stopped answering", self.instance_id)
            interval = (
                self.launcher.up_health_interval_s
                if self.state is State.UP
                else self.launcher.health_interval_s
            )
            await asyncio.sleep(interval)
