"""A stand-in for an instance: answers /health as the chassis does and starts in milliseconds.

Run as ``python fake_instance.py`` with the environment the supervisor gives
an instance, or with ``--spare`` to wait for an assignment on stdin as
``reelstack.cluster.spare`` does. Behaviour for tests, from the environment:

- ``FAKE_EXIT=N``: exit with N at once (2: invalid setting, 4: start-up failed).
- ``FAKE_RACE_FILE=PATH``: if PATH exists, remove it and try to listen on the
  port written in it (held by the test), exiting 3 as the chassis does.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from http.server import BaseHTTPRequestHandler, HTTPServer
from types import FrameType


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path != "/health":
            self.send_error(404)
            return
        body = json.dumps(
            {
                "status": "up",
                "service": os.environ["REELSTACK_SERVICE_NAME"],
                "instance": os.environ["REELSTACK_INSTANCE_ID"],
                "zone": os.environ["REELSTACK_SERVICE_ZONE"],
                "version": os.environ["REELSTACK_SERVICE_VERSION"],
                "pid": os.getpid(),
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


def _stop(signum: int, frame: FrameType | None) -> None:
    sys.exit(0)


def serve() -> int:
    if os.environ.get("FAKE_EXIT"):
        return int(os.environ["FAKE_EXIT"])
    port = int(os.environ["REELSTACK_SERVICE_PORT"])
    race = os.environ.get("FAKE_RACE_FILE")
    if race and os.path.exists(race):
        with open(race) as file:
            port = int(file.read())
        os.remove(race)
    try:
        server = HTTPServer((os.environ["REELSTACK_SERVICE_HOST"], port), Handler)
    except OSError:
        return 3
    signal.signal(signal.SIGTERM, _stop)
    print(f"listening on {port}", flush=True)
    server.serve_forever()
    return 0


def spare() -> int:
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    assignment = json.loads(line)
    fd = os.open(assignment["log"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ.clear()
    os.environ.update(assignment["env"])
    return serve()


if __name__ == "__main__":
    sys.exit(spare() if "--spare" in sys.argv else serve())
