"""Serve ``module:attr`` on a port with the chassis' uvicorn settings.

``python -m bench.servers.serve bench.servers.bare_asgi:app 18180``
"""

from __future__ import annotations

import importlib
import sys

from reelstack.chassis import server


def main() -> None:
    target, port = sys.argv[1], int(sys.argv[2])
    module_name, _, attr = target.partition(":")
    app = getattr(importlib.import_module(module_name), attr)
    sock = server.bind("127.0.0.1", port, target)
    server.serve(app, sock, grace_s=1.0)


if __name__ == "__main__":
    main()
