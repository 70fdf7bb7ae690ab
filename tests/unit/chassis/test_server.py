"""The socket the runner binds: a taken port is named with its service."""

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
