"""The preloaded parent of the instances: ``python -m reelstack.cluster.forkserver``.

It imports what every instance imports (:mod:`reelstack.cluster.preload`),
moves those objects out of the garbage collector's reach (``gc.freeze``: a
child's collections then never write to, and so un-share, the parent's
pages), says it is ready and forks one child per request. A child shares the
preloaded modules' memory with its siblings and starts in a fraction of the
time a fresh interpreter takes.

The supervisor (:mod:`reelstack.cluster.forks`) talks to it in JSON lines:

- stdin: ``{"id": N, "env": {...}, "log": PATH}`` asks for an instance;
- stdout: ``{"ready": true}`` once preloaded; per request ``{"id": N, "pid": P}``
  (or ``{"id": N, "error": "..."}``, or ``{"id": N, "stale": true}``, below);
  and ``{"exited": P, "returncode": R}`` when a child exits (R negative for a
  signal, as asyncio reports it).

A child points stdout and stderr at its log, takes exactly the environment it
was given and runs ``--run`` (the chassis runner by default), exiting with its
return code. It gets SIGTERM if this process dies (``PR_SET_PDEATHSIG``), as
this process does when the supervisor dies, so no instance outlives the
supervisor; for the same reason, end of input means "fork no more": it exits
once its last child has exited.

Preloaded code must not outlive an edit: a restarted instance runs the code
on disk, as a fresh interpreter would. Before each fork the server checks the
files of every module it holds; if one changed it answers ``stale`` to this
and every later request, and the supervisor starts a fresh fork server.

This process runs no threads and no event loop: forking is safe only then.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import importlib
import json
import logging
import os
import selectors
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any, NoReturn

from reelstack.chassis import logs
from reelstack.cluster import preload
from reelstack.pdeathsig import parent_death_signal

log = logging.getLogger("reelstack.cluster.forkserver")

DEFAULT_RUN = "reelstack.chassis.run:main"
EXIT_FAILED = 4


def _target(reference: str) -> Callable[[], int]:
    module_name, _, attr = reference.partition(":")
    function: Callable[[], int] = getattr(importlib.import_module(module_name), attr)
    return function


def _send(message: Mapping[str, Any]) -> None:
    data = (json.dumps(dict(message)) + "\n").encode()
    while data:
        data = data[os.write(1, data) :]


def _wait_status(status: int) -> int:
    """Return a wait status as asyncio reports a return code (-N: killed by signal N)."""
    return os.waitstatus_to_exitcode(status)


def _child(
    request: Mapping[str, Any],
    run: Callable[[], int],
    close: Sequence[int],
    on_parent_death: Callable[[], None] | None,
) -> NoReturn:
    """Become the instance ``request`` describes; never returns into the server's loop."""
    code = EXIT_FAILED
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        if on_parent_death is not None:
            on_parent_death()
        devnull = os.open(os.devnull, os.O_RDONLY)
        os.dup2(devnull, 0)
        os.close(devnull)
        out = os.open(str(request["log"]), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.dup2(out, 1)
        os.dup2(out, 2)
        os.close(out)
        # Settings are read from os.environ when the instance starts, not at import.
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(request["env"]).items()})
        code = run()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else EXIT_FAILED
    except Exception:
        log.exception("the forked instance failed")
    finally:
        for stream in (sys.stdout, sys.stderr):
            # A log that is gone leaves nowhere to say so.
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        os._exit(code)


def module_files() -> dict[str, int]:
    """Return the file of every imported module with its modification time (ns)."""
    files: dict[str, int] = {}
    for module in list(sys.modules.values()):
        path = getattr(module, "__file__", None)
        if isinstance(path, str) and path not in files:
            with contextlib.suppress(OSError):
                files[path] = os.stat(path).st_mtime_ns
    return files


def changed(files: Mapping[str, int]) -> str | None:
    """Return a file of ``files`` that changed or went away since; None if none did."""
    for path, mtime_ns in files.items():
        try:
            if os.stat(path).st_mtime_ns != mtime_ns:
                return path
        except OSError:
            return path
    return None


class Server:
    """The request loop: forks on demand, reaps children, reports both."""

    def __init__(self, run: Callable[[], int], files: Mapping[str, int]) -> None:
        self.run = run
        self.files = files
        self.stale = False
        self.children: set[int] = set()
        self.buffer = b""
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_r, False)
        os.set_blocking(self.wake_w, False)
        # Children are asked to die with this process, not with whoever forked it last.
        self.on_parent_death = parent_death_signal()

    def serve(self) -> int:
        signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        signal.signal(signal.SIGCHLD, _on_sigchld)
        with selectors.DefaultSelector() as selector:
            selector.register(0, selectors.EVENT_READ, "requests")
            selector.register(self.wake_r, selectors.EVENT_READ, "signals")
            _send({"ready": True})
            accepting = True
            while accepting or self.children:
                for key, _ in selector.select():
                    if key.data == "signals":
                        self._drain_wakeups()
                        self._reap()
                    elif not self._read_requests():
                        accepting = False
                        selector.unregister(0)
            return 0

    def _drain_wakeups(self) -> None:
        try:
            while os.read(self.wake_r, 512):
                pass
        except BlockingIOError:
            return

    def _reap(self) -> None:
        while self.children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            self.children.discard(pid)
            _send({"exited": pid, "returncode": _wait_status(status)})

    def _read_requests(self) -> bool:
        """Handle every complete request line; return False at end of input."""
        chunk = os.read(0, 65536)
        if not chunk:
            return False
        self.buffer += chunk
        while b"\n" in self.buffer:
            line, self.buffer = self.buffer.split(b"\n", 1)
            if line.strip():
                self._handle(line)
        return True

    def _handle(self, line: bytes) -> None:
        try:
            request = json.loads(line)
            ident = request["id"]
            if not isinstance(request.get("env"), dict) or not isinstance(request.get("log"), str):
                raise ValueError("expected env (an object) and log (a path)")
        except (ValueError, KeyError, TypeError) as exc:
            log.error("bad request %r: %s", line[:200], exc)
            _send({"id": None, "error": f"bad request: {exc}"})
            return
        if not self.stale:
            edited = changed(self.files)
            if edited is not None:
                log.info("%s changed since it was preloaded: forking no more", edited)
                self.stale = True
        if self.stale:
            _send({"id": ident, "stale": True})
            return
        try:
            pid = os.fork()
        except OSError as exc:
            log.error("cannot fork: %s", exc)
            _send({"id": ident, "error": f"cannot fork: {exc}"})
            return
        if pid == 0:
            _child(request, self.run, (self.wake_r, self.wake_w), self.on_parent_death)
        self.children.add(pid)
        _send({"id": ident, "pid": pid})


def _on_sigchld(signum: int, frame: FrameType | None) -> None:
    # The wakeup fd carries the news to the loop, which reaps there.
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Preload, then fork instances on request until end of input."""
    parser = argparse.ArgumentParser(prog="python -m reelstack.cluster.forkserver")
    parser.add_argument("--run", default=DEFAULT_RUN, help="MODULE:FUNCTION each child runs")
    parser.add_argument("modules", nargs="*", help="modules to preload (default: the services')")
    args = parser.parse_args(argv)
    logs.configure(service="forkserver", instance="forkserver")
    names = tuple(args.modules) or preload.for_this_process()
    preload.import_all(names)
    run = _target(args.run)
    if threading.active_count() > 1:
        # A thread holding a lock at fork leaves the child deadlocked on it.
        log.error("a preloaded module started a thread; forking is not safe: exiting")
        return EXIT_FAILED
    files = module_files()
    gc.collect()
    gc.freeze()
    log.info(
        "preloaded %d modules (%d files)", len(names), len(files), extra={"modules": list(names)}
    )
    return Server(run, files).serve()


if __name__ == "__main__":
    sys.exit(main())
