"""Serve an ASGI app with uvicorn on a socket the chassis binds itself.

Binding first means a taken port is reported as :class:`PortInUseError`
naming the port and the service, before anything starts, instead of as a
uvicorn log line after start-up. uvloop and httptools are used when
installed; uvicorn's own access log is off because the chassis writes one.

An app may ask for uvicorn options of its own with a ``server_options``
attribute (a dict of :class:`uvicorn.Config` arguments): the gateway names
its HTTP protocol class there. :func:`make_server` applies them, so every
process the runner starts is served the way its app asks.
"""

from __future__ import annotations

import errno
import importlib.util
import socket
from typing import Any

import uvicorn

from reelstack.errors import PortInUseError

# Enough for a burst of connections from a load test or a restarted gateway.
BACKLOG = 2048


def bind(host: str, port: int, service: str) -> socket.socket:
    """Return a listening TCP socket on ``host:port``; raise PortInUseError if taken.

    ``SO_REUSEADDR`` lets a restarted instance take its port back while old
    connections sit in TIME_WAIT; it does not let two live listeners share it.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno in (errno.EADDRINUSE, errno.EACCES):
            raise PortInUseError(port, service, host) from exc
        raise
    sock.set_inheritable(True)
    return sock


def _has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def uvicorn_config(app: Any, *, grace_s: float, **overrides: Any) -> uvicorn.Config:
    """Return the uvicorn settings every reelstack instance (and benchmark) uses."""
    options: dict[str, Any] = {
        "loop": "uvloop" if _has("uvloop") else "asyncio",
        "http": "httptools" if _has("httptools") else "h11",
        "ws": "none",
        "lifespan": "on",
        "access_log": False,
        # None: uvicorn leaves logging alone and its lines reach our JSON handler.
        "log_config": None,
        "timeout_graceful_shutdown": grace_s,
        "server_header": False,
        "date_header": True,
    }
    options.update(overrides)
    return uvicorn.Config(app, **options)


def server_options(app: Any) -> dict[str, Any]:
    """Return the uvicorn options ``app`` asks for (its ``server_options``, or none)."""
    options = getattr(app, "server_options", None)
    return dict(options) if options else {}


def make_server(app: Any, *, grace_s: float, **overrides: Any) -> uvicorn.Server:
    """Return a uvicorn server for ``app``; run it with ``server.run(sockets=[sock])``.

    Options: the chassis' defaults, then the app's ``server_options``, then
    ``overrides``, each winning over the one before. On SIGTERM or SIGINT
    uvicorn stops accepting, waits up to ``grace_s`` for in-flight requests,
    then runs the lifespan shutdown (closing the adapters).
    """
    options = {**server_options(app), **overrides}
    return uvicorn.Server(uvicorn_config(app, grace_s=grace_s, **options))


def serve(app: Any, sock: socket.socket, *, grace_s: float, **overrides: Any) -> bool:
    """Serve ``app`` on ``sock`` until SIGINT/SIGTERM; return whether start-up succeeded."""
    server = make_server(app, grace_s=grace_s, **overrides)
    server.run(sockets=[sock])
    started: bool = server.started
    return started
