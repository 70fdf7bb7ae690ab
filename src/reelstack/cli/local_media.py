"""The media service and one worker, for a command run with no cluster.

``reelstack ingest`` with no running cluster (and no ``media.url``) starts
the media app in this process (uvicorn on a free loopback port, in a thread)
and one media worker as a child process, both on the home's embedded stores,
for as long as the command runs. The same HTTP path is used as against a
cluster, so uploads, validation and progress behave the same.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import uvicorn

from reelstack import settings as S
from reelstack.config import Config
from reelstack.errors import UnavailableError

log = logging.getLogger(__name__)

START_TIMEOUT_S = 30.0
STOP_GRACE_S = 20.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_media(environ: Mapping[str, str], *, worker: bool = True) -> Iterator[str]:
    """Run a media app (and a worker) for the block; yield the app's base URL."""
    from reelstack.media.app import create_app

    port = _free_port()
    env = {
        **environ,
        S.SERVICE_NAME.env: "media",
        S.SERVICE_PORT.env: str(port),
        S.INSTANCE_ID.env: f"media-local-{port}",
        S.ACCESS_LOG.env: "false",
        S.EUREKA_URLS.env: "",
    }
    config = S.load(environ=env)
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(config),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
        )
    )
    thread = threading.Thread(target=server.run, name="media-local", daemon=True)
    thread.start()
    child = start_worker(env) if worker else None
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not server.started:
            if not thread.is_alive():
                raise UnavailableError("the in-process media service did not start")
            if time.monotonic() > deadline:
                raise UnavailableError(f"the media service did not start in {START_TIMEOUT_S}s")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        if child is not None:
            stop_worker(child)
        server.should_exit = True
        thread.join(timeout=STOP_GRACE_S)


def start_worker(env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    config: Config = S.load(environ=env)
    logs = os.path.join(config.get(S.HOME), "logs")
    os.makedirs(logs, exist_ok=True)
    with open(os.path.join(logs, "media-worker-local.log"), "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "reelstack.chassis.run"],
            # The one runner, as the cluster runs a worker (any free port).
            env={**env, "REELSTACK_SERVICE_NAME": "media-worker", "REELSTACK_SERVICE_PORT": "0"},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
    child.send_signal(signal.SIGTERM)
    try:
        child.wait(timeout=STOP_GRACE_S)
    except subprocess.TimeoutExpired:
        log.warning("media worker %d did not stop in %ss; killing it", child.pid, STOP_GRACE_S)
        child.kill()
        child.wait()


@contextlib.contextmanager
def worker_unless_running(
    environ: Mapping[str, str],
    instances: Sequence[Mapping[str, Any]],
    say: Callable[[str], None],
) -> Iterator[None]:
    """Run a media worker for the block if the cluster's ``instances`` include none."""
    if any(view["service"] == "media-worker" for view in instances):
        yield
        return
    say("the cluster runs no media worker: starting one here until the work is done")
    child = start_worker(environ)
    try:
        yield
    finally:
        stop_worker(child)
