"""JSON log lines and the socket the runner binds."""

from __future__ import annotations

import logging
import socket

import pytest

from reelstack.chassis import server
from reelstack.chassis.requestid import request_id_var
from reelstack.errors import PortInUseError
from tests.unit.chassis.conftest import Lines


def test_log_line_is_one_json_object_with_context_and_extras(
    lines: Lines, log_handler: object
) -> None:
    log = logging.getLogger("tests.chassis.logs")
    token = request_id_var.set("rid-9")
    try:
        log.info("stored %s", "title-1", extra={"title_id": "title-1", "bytes": 2048})
    finally:
        request_id_var.reset(token)
    try:
        raise ValueError("bad frame")
    except ValueError:
        log.exception("encode failed")
    first, second = lines.by_logger("tests.chassis.logs")
    assert first["message"] == "stored title-1"
    assert first["level"] == "INFO"
    assert first["service"] == "hello" and first["instance"] == "hello-b-18199"
    assert first["request_id"] == "rid-9"
    assert first["title_id"] == "title-1" and first["bytes"] == 2048
    assert first["time"].endswith("+00:00")
    assert second["level"] == "ERROR" and second["request_id"] is None
    assert "ValueError: bad frame" in second["exc_info"]


def test_bind_reports_a_taken_port_with_port_and_service() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(PortInUseError) as info:
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
