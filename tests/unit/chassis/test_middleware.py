"""The request middleware: request ids, access lines, metrics by route template."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from fastapi import APIRouter, HTTPException

from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.logs import ACCESS_LOGGER, AccessLog
from reelstack.config import Config
from tests.unit.chassis.conftest import Lines, started

router = APIRouter()
log = logging.getLogger("tests.chassis.items")


@router.get("/items/{item_id}")
async def item(item_id: int) -> dict[str, int]:
    log.info("looking up item", extra={"item_id": item_id})
    if item_id == 0:
        raise HTTPException(404, "no such item")
    return {"item_id": item_id}


@router.get("/boom")
async def boom() -> None:
    raise RuntimeError("boom")


def make_app(config: Config, access_log: AccessLog):  # type: ignore[no-untyped-def]
    return create_service_app(
        config, routers=[router], access_log=access_log, poll_properties=False
    )


def sample(text: str, name: str, **labels: str) -> float | None:
    """Return the value of one sample in Prometheus text, or None if absent."""
    for line in text.splitlines():
        match = re.fullmatch(re.escape(name) + r"(?:\{(.*)\})? (\S+)", line)
        if match is None:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(match.group(2))
    return None


async def test_request_id_is_echoed_and_stamped_on_logs(
    make_config: Callable[..., Config], access_log: AccessLog, lines: Lines, log_handler: object
) -> None:
    app = make_app(make_config(), access_log)
    async for client in started(app):
        response = await client.get("/items/7", headers={"X-Request-Id": "req-abc-1"})
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req-abc-1"
    app_lines = lines.by_logger("tests.chassis.items")
    assert app_lines[0]["request_id"] == "req-abc-1"
    assert app_lines[0]["item_id"] == 7
    assert app_lines[0]["service"] == "hello"
    access = lines.by_logger(ACCESS_LOGGER)
    assert access[-1]["request_id"] == "req-abc-1"
    assert access[-1]["route"] == "/items/{item_id}"
    assert access[-1]["path"] == "/items/7"
    assert access[-1]["status"] == 200


async def test_request_id_is_generated_when_missing_or_unsafe(
    make_config: Callable[..., Config], access_log: AccessLog
) -> None:
    app = make_app(make_config(), access_log)
    async for client in started(app):
        plain = await client.get("/items/1")
        unsafe = await client.get("/items/1", headers={"X-Request-Id": "x" * 500})
    assert re.fullmatch(r"[0-9a-f]{32}", plain.headers["x-request-id"])
    assert re.fullmatch(r"[0-9a-f]{32}", unsafe.headers["x-request-id"])


async def test_access_log_follows_the_runtime_toggle(
    make_config: Callable[..., Config], access_log: AccessLog, lines: Lines
) -> None:
    config = make_config()
    app = make_app(config, access_log)
    async for client in started(app):
        await client.get("/items/1")
        assert len(lines.by_logger(ACCESS_LOGGER)) == 1
        config.apply_runtime({"logging.access": "false"})
        await client.get("/items/2")
        assert len(lines.by_logger(ACCESS_LOGGER)) == 1
        config.apply_runtime({})
        await client.get("/items/3")
    assert [line["path"] for line in lines.by_logger(ACCESS_LOGGER)] == ["/items/1", "/items/3"]


async def test_metrics_label_by_route_template_method_and_status(
    make_config: Callable[..., Config], access_log: AccessLog
) -> None:
    app = make_app(make_config(), access_log)
    async for client in started(app):
        for item_id in (1, 2, 3):
            await client.get(f"/items/{item_id}")
        await client.get("/items/0")
        await client.get("/no/such/path")
        await client.get("/no/other/path")
        response = await client.get("/metrics")
    text = response.text
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    total = "http_requests_total"
    assert sample(text, total, route="/items/{item_id}", method="GET", status="200") == 3
    assert sample(text, total, route="/items/{item_id}", method="GET", status="404") == 1
    # Raw paths never become labels: unmatched ones share one series.
    assert sample(text, total, route="<unmatched>", status="404") == 2
    assert "/items/1" not in text and "/no/such/path" not in text
    count = "http_request_duration_seconds_count"
    assert sample(text, count, route="/items/{item_id}", method="GET") == 4
    # The scrape itself is the only request in flight.
    assert sample(text, "http_requests_in_flight") == 1
    assert sample(text, "reelstack_service_info", instance="hello-b-18199", zone="b") == 1
    assert sample(text, "process_cpu_seconds_total") is not None


async def test_unhandled_error_is_a_500_with_id_counted_and_logged(
    make_config: Callable[..., Config], access_log: AccessLog, lines: Lines
) -> None:
    app = make_app(make_config(), access_log)
    async for client in started(app):
        response = await client.get("/boom", headers={"X-Request-Id": "req-boom"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-boom"
    assert chassis_of(app).metrics.count("/boom", "GET", 500) == 1
    assert chassis_of(app).metrics.in_flight == 0
    assert lines.by_logger(ACCESS_LOGGER)[-1]["status"] == 500
    (error,) = lines.by_logger("reelstack.chassis.errors")
    assert error["request_id"] == "req-boom"
    assert "RuntimeError: boom" in error["exc_info"]
