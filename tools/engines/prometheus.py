"""Prometheus 2 from Debian: scrapes reelstack instances found by HTTP service discovery.

The engine runs one Prometheus on 127.0.0.1 with its data in the run folder,
scraping itself and, when ``REELSTACK_TEST_PROMETHEUS_SD`` names a URL, every
target that URL lists (Prometheus' HTTP SD: a JSON list of
``{"targets": [...], "labels": {...}}``). ``--web.enable-lifecycle`` lets a
test reload the configuration (``POST /-/reload``).

Tests find it through ``REELSTACK_TEST_PROMETHEUS`` (``http://127.0.0.1:PORT``)
and the binary through ``REELSTACK_TEST_PROMETHEUS_BIN``; a test that needs a
configuration of its own starts its own server with :func:`start_prometheus`
and stops it with :func:`stop_prometheus`.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

from tools.engines.core import (
    Context,
    EngineError,
    EngineState,
    ProcessState,
    apt_install,
    spawn_process,
    stop_process,
    wait_until,
)

BINARY = "/usr/bin/prometheus"
READY_TIMEOUT_S = 60.0
SCRAPE_INTERVAL = "1s"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _port(argv: list[str]) -> int:
    for arg in argv:
        if arg.startswith("--web.listen-address="):
            return int(arg.rpartition(":")[2])
    raise EngineError(f"prometheus: no --web.listen-address in {argv}")


def is_ready(url: str, timeout_s: float = 1.0) -> bool:
    """Whether the Prometheus at ``url`` answers ``/-/ready`` with 200."""
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=timeout_s) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def config_text(sd_url: str | None, self_port: int | None = None) -> str:
    """A configuration scraping every ``SCRAPE_INTERVAL`` what ``sd_url`` lists (and itself)."""
    jobs: list[dict[str, object]] = []
    if self_port is not None:
        jobs.append(
            {"job_name": "prometheus", "static_configs": [{"targets": [f"127.0.0.1:{self_port}"]}]}
        )
    if sd_url:
        jobs.append(
            {
                "job_name": "reelstack",
                "http_sd_configs": [{"url": sd_url, "refresh_interval": SCRAPE_INTERVAL}],
            }
        )
    config = {
        "global": {"scrape_interval": SCRAPE_INTERVAL, "evaluation_interval": SCRAPE_INTERVAL},
        "scrape_configs": jobs,
    }
    # JSON is YAML: no YAML library needed to write it.
    return json.dumps(config, indent=2) + "\n"


def _argv(run_dir: Path, port: int) -> list[str]:
    return [
        BINARY,
        f"--config.file={run_dir / 'prometheus.yml'}",
        f"--storage.tsdb.path={run_dir / 'data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--web.enable-lifecycle",
        "--storage.tsdb.retention.time=1d",
    ]


def start_prometheus(
    config: str, run_dir: Path, *, timeout_s: float = READY_TIMEOUT_S
) -> tuple[ProcessState, str]:
    """Start a Prometheus with ``config`` (YAML text) in ``run_dir``; return it and its URL.

    Waits until it is ready; stop it with :func:`stop_prometheus`.
    """
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "prometheus.yml").write_text(config)
    port = _free_port()
    process = spawn_process(
        ProcessState(pid=0, argv=_argv(run_dir, port), log=str(run_dir / "prometheus.log"))
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(
            lambda: is_ready(url),
            what="prometheus",
            timeout_s=timeout_s,
            processes=[process],
        )
    except EngineError:
        stop_process(process, grace_s=10)
        raise
    return process, url


def stop_prometheus(process: ProcessState) -> None:
    """Stop a Prometheus started by :func:`start_prometheus` (SIGTERM, then SIGKILL)."""
    stop_process(process, grace_s=20)


class Prometheus:
    """One Prometheus scraping what ``REELSTACK_TEST_PROMETHEUS_SD`` lists."""

    name = "prometheus"

    def install(self, ctx: Context) -> None:
        apt_install(ctx, ["prometheus"], check=[BINARY])

    def start(self, ctx: Context) -> EngineState:
        port = ctx.free_port()
        ctx.run_dir.mkdir(parents=True, exist_ok=True)
        sd_url = os.environ.get("REELSTACK_TEST_PROMETHEUS_SD") or None
        (ctx.run_dir / "prometheus.yml").write_text(config_text(sd_url, self_port=port))
        process = ctx.spawn("prometheus", _argv(ctx.run_dir, port))
        url = f"http://127.0.0.1:{port}"
        ctx.wait_until(
            lambda: is_ready(url), what="prometheus", timeout_s=READY_TIMEOUT_S, processes=[process]
        )
        version = ctx.run([BINARY, "--version"], what="prometheus --version")
        return EngineState(
            name=self.name,
            processes={"prometheus": process},
            env={"REELSTACK_TEST_PROMETHEUS": url, "REELSTACK_TEST_PROMETHEUS_BIN": BINARY},
            extra={"version": version.splitlines()[0] if version else "", "sd": sd_url or ""},
        )

    def ready(self, state: EngineState, proc_name: str) -> bool:
        return is_ready(f"http://127.0.0.1:{_port(state.processes[proc_name].argv)}")
