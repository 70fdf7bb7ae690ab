"""JSON log lines: one object per line with the request context and extras."""

from __future__ import annotations

import logging

from reelstack.chassis.requestid import request_id_var
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
