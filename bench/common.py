"""Shared output for every benchmark: its figure beside its anchor, same run."""

from __future__ import annotations

import functools
import http.server
import json
import os
import subprocess
import sys
import threading
from dataclasses import asdict, dataclass
from pathlib import Path

HEADER = "name, figure, unit, anchor, anchor figure, ratio, target"
# Debian's Chromium for the browser benchmarks, and the flags that let it run
# as root, unattended and offline (the tests' own copy: tests/support/browser.py;
# benchmarks do not import tests).
CHROMIUM = os.environ.get("REELSTACK_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


@dataclass(frozen=True)
class Result:
    name: str
    figure: float
    unit: str
    anchor: str
    anchor_figure: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.anchor_figure if self.anchor_figure else float("nan")


def _num(value: float) -> str:
    """Small figures (milliseconds, ratios) keep two decimals, large ones one."""
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def report(result: Result) -> None:
    """Print one benchmark line (and append it to BENCH_JSON if set)."""
    print(
        f"{result.name}, {_num(result.figure)}, {result.unit}, {result.anchor}, "
        f"{_num(result.anchor_figure)}, {result.ratio:.2f}, {result.target}",
        flush=True,
    )
    path = os.environ.get("BENCH_JSON")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(asdict(result) | {"ratio": result.ratio}) + "\n")


def header() -> None:
    """Print the column names, unless a runner printed them already."""
    if not os.environ.get("BENCH_NO_HEADER"):
        print(HEADER, file=sys.stdout, flush=True)


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    """Run ``reelstack ARGS`` with ``env``; return its output (RuntimeError with it on failure)."""
    result = subprocess.run(
        [sys.executable, "-m", "reelstack.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"reelstack {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def embedded_stack_env(home: Path, **settings: str) -> dict[str, str]:
    """This process' environment for ``reelstack up`` in ``home`` on free ports, plus ``settings``.

    Free ports for the control API, the gateway and the registry, so a
    benchmark never meets a cluster already running on the defaults.
    """
    return {
        **os.environ,
        "REELSTACK_HOME": str(home),
        "REELSTACK_CLUSTER_CONTROL_PORT": "0",
        "REELSTACK_GATEWAY_PORT": "0",
        "REELSTACK_CLUSTER_REGISTRY_PORTS": "0,0",
        **settings,
    }


class _QuietFiles(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        del format, args


class _StaticServer(http.server.ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: tuple[str, int]) -> None:
        # A browser closing a page mid-response (a measurement ends at its
        # paint or frame) breaks the pipe: one line, no traceback; anything
        # else is a real error of the anchor.
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError):
            print(
                f"static server: {client_address[1]} left mid-response ({error!r})",
                file=sys.stderr,
                flush=True,
            )
        else:
            super().handle_error(request, client_address)  # type: ignore[arg-type]


def serve_folder(folder: Path) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Serve ``folder``'s files on a free loopback port (an anchor's plain file server)."""
    handler = functools.partial(_QuietFiles, directory=str(folder))
    server = _StaticServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"
