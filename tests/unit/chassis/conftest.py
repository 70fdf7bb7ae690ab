"""Fixtures for chassis unit tests: log sinks and an in-process client."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import orjson
import pytest
from fastapi import FastAPI

from reelstack.chassis import server
from reelstack.chassis.logs import AccessLog, JsonLogHandler, LogContext
from tests.support.wait import eventually


class Lines:
    """A log sink that keeps every line as a dict."""

    def __init__(self) -> None:
        self.lines: list[dict[str, Any]] = []

    def __call__(self, data: bytes) -> None:
        self.lines.append(orjson.loads(data))

    def by_logger(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines if line["logger"] == name]


@pytest.fixture
def lines() -> Lines:
    return Lines()


@pytest.fixture
def access_log(lines: Lines, log_handler: JsonLogHandler) -> AccessLog:
    return AccessLog(LogContext("hello", "hello-b-18199"), sink=lines)


@pytest.fixture
def log_handler(lines: Lines) -> Iterator[JsonLogHandler]:
    handler = JsonLogHandler(LogContext("hello", "hello-b-18199"), sink=lines)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old_level)


async def started(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and yield a client talking to it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            yield client


@asynccontextmanager
async def served(app: FastAPI, name: str = "downstream", port: int = 0) -> AsyncIterator[int]:
    """Serve ``app`` with uvicorn on 127.0.0.1:``port`` (0: any free one) here; yield the port.

    For callers that need real TCP (aiohttp, the resilient client, a Node
    child). Its lifespan runs: a chassis app starts, registers and stops.
    """
    sock = server.bind("127.0.0.1", port, name)
    uvicorn_server = server.make_server(app, grace_s=1)
    task = asyncio.create_task(uvicorn_server.serve(sockets=[sock]))
    try:

        def serving() -> bool:
            assert not task.done(), f"{name} stopped"
            return bool(uvicorn_server.started)

        await eventually(serving, f"{name} to start")
        port: int = sock.getsockname()[1]
        yield port
    finally:
        uvicorn_server.should_exit = True
        await task
        sock.close()
