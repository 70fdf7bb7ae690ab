"""Hive Gateway as the router instance's child process: started, watched, reloaded, stopped.

The child is ``node router/serve.mjs`` (docs/adr/0019): Hive Gateway's
runtime serving the supergraph file on 127.0.0.1. It is started once the
first supergraph exists, restarted (with a growing pause) whenever it exits
while the instance serves, told to reload with SIGHUP after each new
supergraph, and dies with the instance (parent-death signal) even when the
instance is killed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import orjson

from reelstack.pdeathsig import parent_death_signal

log = logging.getLogger(__name__)

RESTART_FIRST_S = 0.5
RESTART_MAX_S = 10.0
STOP_GRACE_S = 5.0
READY_TIMEOUT_S = 2.0
# A line of Hive's log longer than this is cut (a log line, not a channel).
MAX_LINE_BYTES = 64 * 1024


@dataclass(frozen=True)
class QueryLimits:
    """What a query may ask for, checked before any resolver runs (OWASP's usual figures)."""

    max_depth: int = 10
    max_aliases: int = 15
    max_tokens: int = 1000
    max_cost: int = 5000
    introspection: bool = False


@dataclass(frozen=True)
class Fallbacks:
    """Subgraphs the router stands in for, where Hive asks for the stand-in, and when."""

    subgraphs: tuple[str, ...] = ()
    url: str = ""
    timeout_s: float = 1.0


@dataclass(frozen=True)
class PersistedDocuments:
    """Documents Hive Gateway runs by hash (:mod:`reelstack.router.persisted`'s manifest).

    ``only``: refuse every document sent as text, so only the manifest's run
    (the web app's operations: production); else both are served.
    """

    manifest: Path
    only: bool = False


class HiveGateway:
    """One Hive Gateway child serving ``supergraph``; :attr:`url` once it listens."""

    def __init__(
        self,
        *,
        node: str,
        package: Path,
        supergraph: Path,
        port: int,
        headers: Sequence[str],
        upstream_timeout_s: float,
        limits: QueryLimits | None = None,
        faults: Path | None = None,
        fallbacks: Fallbacks | None = None,
        persisted: PersistedDocuments | None = None,
    ) -> None:
        self.node = node
        self.package = package
        self.supergraph = supergraph
        self.port = port
        self.headers = tuple(headers)
        self.upstream_timeout_s = upstream_timeout_s
        self.limits = limits or QueryLimits()
        self.faults = faults
        self.fallbacks = fallbacks or Fallbacks()
        self.persisted = persisted
        self.url: str | None = None
        self.restarts = 0
        self._process: asyncio.subprocess.Process | None = None
        self._have_supergraph = asyncio.Event()
        self._session: aiohttp.ClientSession | None = None

    def argv(self) -> list[str]:
        """The child's command line."""
        return [
            self.node,
            str(self.package / "serve.mjs"),
            "--supergraph",
            str(self.supergraph),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--headers",
            ",".join(self.headers),
            "--upstream-timeout-ms",
            str(int(self.upstream_timeout_s * 1000)),
            "--max-depth",
            str(self.limits.max_depth),
            "--max-aliases",
            str(self.limits.max_aliases),
            "--max-tokens",
            str(self.limits.max_tokens),
            "--max-cost",
            str(self.limits.max_cost),
            *(["--introspection"] if self.limits.introspection else []),
            *(["--faults", str(self.faults)] if self.faults is not None else []),
            *(
                [
                    "--fallbacks",
                    ",".join(self.fallbacks.subgraphs),
                    "--fallback-url",
                    self.fallbacks.url,
                    "--fallback-timeout-ms",
                    str(int(self.fallbacks.timeout_s * 1000)),
                ]
                if self.fallbacks.subgraphs
                else []
            ),
            *self._persisted_argv(),
        ]

    def _persisted_argv(self) -> list[str]:
        persisted = self.persisted
        if persisted is None:
            return []
        return [
            "--persisted-manifest",
            str(persisted.manifest),
            *(["--persisted-only"] if persisted.only else []),
        ]

    @property
    def pid(self) -> int | None:
        """The running child's process id (None when none runs)."""
        process = self._process
        return process.pid if process is not None and process.returncode is None else None

    def supergraph_written(self) -> None:
        """Tell the child a new supergraph is in place (starts it the first time)."""
        self._have_supergraph.set()
        process = self._process
        if process is not None and process.returncode is None:
            # The child watches the folder too; the signal makes the reload
            # independent of inotify (network file systems, full watch tables).
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGHUP)

    def reload(self) -> None:
        """Tell a running child to read the fault rules again (SIGUSR2: the graph stays)."""
        process = self._process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGUSR2)

    async def supervise(self) -> None:
        """Run the child until cancelled, restarting it whenever it exits."""
        if self.supergraph.exists():
            self._have_supergraph.set()
        pause = RESTART_FIRST_S
        try:
            await self._have_supergraph.wait()
            while True:
                code = await self._run_once()
                self.restarts += 1
                log.error("hive gateway exited with %s; starting it again in %.1fs", code, pause)
                await asyncio.sleep(pause)
                pause = min(pause * 2, RESTART_MAX_S)
        finally:
            await self._stop_child()
            if self._session is not None:
                await self._session.close()
                self._session = None

    async def _run_once(self) -> int | None:
        self.url = None
        process = await asyncio.create_subprocess_exec(
            *self.argv(),
            cwd=self.package,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            limit=MAX_LINE_BYTES,
            preexec_fn=parent_death_signal(),
        )
        self._process = process
        log.info("hive gateway started (pid %d)", process.pid)
        assert process.stdout is not None
        try:
            while True:
                try:
                    raw = await process.stdout.readline()
                except ValueError:
                    # A line past the limit: asyncio drops it; keep reading.
                    continue
                if not raw:
                    break
                self._line(raw)
            return await process.wait()
        finally:
            self.url = None

    def _line(self, raw: bytes) -> None:
        text = raw.decode(errors="replace").rstrip()
        if not text:
            return
        try:
            record = orjson.loads(text)
        except ValueError:
            record = None
        if isinstance(record, dict) and record.get("msg") == "listening":
            self.url = f"http://127.0.0.1:{int(record['port'])}"
            log.info("hive gateway listens at %s", self.url)
            return
        log.info("hive gateway: %s", text[:2000])

    async def _stop_child(self) -> None:
        process, self._process = self._process, None
        if process is None or process.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        log.info("hive gateway stopped")

    async def ready(self) -> str | None:
        """None when the child answers its readiness check, else why not (``/ready``)."""
        if not self._have_supergraph.is_set():
            return "no supergraph composed yet"
        if self.url is None:
            return "hive gateway is not listening"
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=READY_TIMEOUT_S)
            )
        try:
            async with self._session.get(self.url + "/readiness") as response:
                if response.status == 200:
                    return None
                return f"hive gateway readiness: HTTP {response.status}"
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            return f"hive gateway readiness: {type(exc).__name__}: {exc}"
