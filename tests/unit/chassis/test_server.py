"""The socket the runner binds (a taken port is named with its service) and uvicorn's options."""

from __future__ import annotations

import socket

import pytest

from reelstack.chassis import server
from reelstack.errors import PortInUseError
from tests.support.ports import taken_port


def test_bind_reports_a_taken_port_with_port_and_service() -> None:
    with taken_port() as port, pytest.raises(PortInUseError) as info:
        server.bind("127.0.0.1", port, "catalog")
    assert info.value.port == port
    assert info.value.service == "catalog"
    assert str(port) in str(info.value) and "catalog" in str(info.value)


def test_bind_returns_a_listening_socket() -> None:
    sock = server.bind("127.0.0.1", 0, "catalog")
    host, port = sock.getsockname()
    assert (host, port > 0) == ("127.0.0.1", True)
    with sock, socket.create_connection((host, port), timeout=5) as client:
        assert client.getpeername() == (host, port)


class _AppWithOptions:
    """An ASGI app asking uvicorn for options of its own, as the gateway does."""

    server_options = {"http": "h11", "timeout_keep_alive": 17}

    async def __call__(self, scope: object, receive: object, send: object) -> None:
        raise AssertionError("not served here")


def test_make_server_applies_the_apps_own_server_options() -> None:
    config = server.make_server(_AppWithOptions(), grace_s=3).config
    assert (config.http, config.timeout_keep_alive) == ("h11", 17)
    # The chassis' defaults stay for what the app does not ask for.
    assert config.timeout_graceful_shutdown == 3 and config.access_log is False


def test_explicit_overrides_win_over_the_apps_server_options() -> None:
    config = server.make_server(_AppWithOptions(), grace_s=3, timeout_keep_alive=2).config
    assert (config.http, config.timeout_keep_alive) == ("h11", 2)
