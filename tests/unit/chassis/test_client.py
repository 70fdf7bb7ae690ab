"""The outgoing client carries the request id to the next service."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import aiohttp
import pytest
from fastapi import APIRouter, FastAPI, Request

from reelstack.chassis.app import create_service_app
from reelstack.chassis.client import http_session
from reelstack.chassis.logs import ACCESS_LOGGER, AccessLog, LogContext
from reelstack.config import Config
from tests.unit.chassis.conftest import Lines, served, started

downstream = APIRouter()


@downstream.get("/echo")
async def echo(request: Request) -> dict[str, str | None]:
    return {"received": request.headers.get("x-request-id")}


@pytest.fixture
async def downstream_url(make_config: Callable[..., Config], lines: Lines) -> AsyncIterator[str]:
    """Serve a second chassis app on a real socket (aiohttp needs TCP)."""
    app = create_service_app(
        make_config(),
        routers=[downstream],
        service="downstream",
        poll_properties=False,
        access_log=AccessLog(LogContext("downstream", "downstream-1"), sink=lines),
    )
    async with served(app) as port:
        yield f"http://127.0.0.1:{port}"


async def test_outgoing_call_inside_a_request_carries_its_id(
    make_config: Callable[..., Config], access_log: AccessLog, lines: Lines, downstream_url: str
) -> None:
    upstream = APIRouter()

    @upstream.get("/relay")
    async def relay() -> dict[str, object]:
        async with (
            http_session(base_url=downstream_url) as session,
            session.get("/echo") as response,
        ):
            body: dict[str, object] = await response.json()
            return body

    app: FastAPI = create_service_app(
        make_config(), routers=[upstream], access_log=access_log, poll_properties=False
    )
    async for client in started(app):
        response = await client.get("/relay", headers={"X-Request-Id": "trace-42"})
    assert response.json() == {"received": "trace-42"}
    downstream_access = [
        line for line in lines.by_logger(ACCESS_LOGGER) if line["service"] == "downstream"
    ]
    assert downstream_access[-1]["request_id"] == "trace-42"


async def test_outgoing_call_outside_a_request_has_no_id(downstream_url: str) -> None:
    async with (
        http_session(base_url=downstream_url) as session,
        session.get("/echo") as response,
    ):
        assert await response.json() == {"received": None}


async def test_explicit_id_is_kept(downstream_url: str) -> None:
    async with (
        http_session(base_url=downstream_url) as session,
        session.get("/echo", headers={"X-Request-Id": "mine"}) as response,
    ):
        assert await response.json() == {"received": "mine"}


async def test_idle_connections_are_dropped_before_the_services_close_them() -> None:
    """A pooled connection outliving the server's keep-alive gets "connection reset" on reuse."""
    from reelstack.chassis.server import uvicorn_config

    server_keep_alive_s = uvicorn_config(FastAPI(), grace_s=1).timeout_keep_alive
    async with http_session() as session:
        connector = session.connector
        assert isinstance(connector, aiohttp.TCPConnector)
        assert connector._keepalive_timeout < server_keep_alive_s
