"""A gateway app driven through its HTTP protocol with fake sockets."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httptools
import orjson

from reelstack import settings
from reelstack.chassis.discovery import InstanceInfo, StaticDiscovery
from reelstack.chassis.logs import ACCESS_LOGGER
from reelstack.config import Config, env_name
from reelstack.gateway.app import create_app
from reelstack.gateway.asgi import GatewayApp
from reelstack.gateway.server import GatewayProtocol
from tests.support.wait import eventually


def gateway_config(home: Path, **values: str) -> Config:
    """Return settings for a gateway under ``home``; ``values`` use dotted keys with _ for ."""
    environ = {
        "REELSTACK_HOME": str(home),
        "REELSTACK_SERVICE_NAME": "gateway",
        "REELSTACK_SERVICE_PORT": "18080",
        "REELSTACK_GATEWAY_AUTH_JWKS_URL": "",
        "REELSTACK_GATEWAY_STATIC_DIR": str(home / "no-web-app"),
    }
    environ.update({env_name(key.replace("__", ".")): v for key, v in values.items()})
    return settings.load(environ=environ)


def make_app(config: Config, *ports: int, service: str = "svc") -> tuple[GatewayApp, list[bytes]]:
    """Return the app with instances of ``service`` on ``ports``, and its access lines."""
    discovery = StaticDiscovery(
        [InstanceInfo(service, f"{service}-{port}", "127.0.0.1", port, "a") for port in ports]
    )
    app = create_app(config, discovery=discovery)
    logging.getLogger(ACCESS_LOGGER).setLevel(logging.INFO)
    lines: list[bytes] = []
    app.gateway.access_log.sink = lines.append
    return app, lines


@dataclass
class Answer:
    status: int
    headers: dict[bytes, bytes]
    body: bytes

    def json(self) -> Any:
        return orjson.loads(self.body)


@dataclass
class _Parsed:
    answers: list[Answer] = field(default_factory=list)
    status: int = 0
    headers: dict[bytes, bytes] = field(default_factory=dict)
    body: bytearray = field(default_factory=bytearray)


class FakeClientTransport:
    def __init__(self, peer: str = "10.9.8.7") -> None:
        self.peer = peer
        self.written = bytearray()
        self.closed = False
        self.eof = False
        self.paused = False

    def write(self, data: bytes) -> None:
        self.written += data

    def close(self) -> None:
        self.closed = True

    def can_write_eof(self) -> bool:
        return True

    def write_eof(self) -> None:
        self.eof = True

    def is_closing(self) -> bool:
        return self.closed

    def pause_reading(self) -> None:
        self.paused = True

    def resume_reading(self) -> None:
        self.paused = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        if name == "peername":
            return (self.peer, 50000)
        return ("10.9.8.1", 8080) if name == "sockname" else default


class _Config:
    def __init__(self, app: GatewayApp) -> None:
        self.app = app
        self.timeout_keep_alive = 5.0


class Connection:
    """One client connection to the app's protocol."""

    def __init__(
        self,
        app: GatewayApp,
        peer: str = "10.9.8.7",
        protocol: type[GatewayProtocol] = GatewayProtocol,
    ) -> None:
        self.protocol = protocol(_Config(app), None, {}, asyncio.get_running_loop())
        self.transport = FakeClientTransport(peer)
        self.protocol.connection_made(self.transport)  # type: ignore[arg-type]
        self.parsed = _Parsed()
        self.parser = httptools.HttpResponseParser(self)
        self.seen = 0

    def send(self, data: bytes) -> None:
        self.protocol.data_received(data)

    def lose(self) -> None:
        self.transport.closed = True
        self.protocol.connection_lost(None)

    # httptools callbacks for what the protocol wrote
    def on_header(self, name: bytes, value: bytes) -> None:
        self.parsed.headers[name.lower()] = value

    def on_headers_complete(self) -> None:
        self.parsed.status = self.parser.get_status_code()

    def on_body(self, body: bytes) -> None:
        self.parsed.body += body

    def on_message_complete(self) -> None:
        p = self.parsed
        p.answers.append(Answer(p.status, p.headers, bytes(p.body)))
        p.headers, p.body = {}, bytearray()

    async def answers(self, count: int) -> list[Answer]:
        """Wait until ``count`` responses were written; return them all."""

        def parsed() -> list[Answer]:
            new = bytes(self.transport.written[self.seen :])
            self.seen = len(self.transport.written)
            if new:
                self.parser.feed_data(new)
            return self.parsed.answers

        return await eventually(
            parsed,
            f"{count} answers",
            done=lambda answers: len(answers) >= count,
            interval_s=0.001,
            log=lambda: f"written: {bytes(self.transport.written)!r}",
        )

    async def get(self, path: str, *headers: tuple[bytes, bytes], method: bytes = b"GET") -> Answer:
        """Send one request without a body and return its answer."""
        lines = [method + b" " + path.encode() + b" HTTP/1.1", b"host: gw.test"]
        lines += [name + b": " + value for name, value in headers]
        before = len(self.parsed.answers)
        self.send(b"\r\n".join(lines) + b"\r\n\r\n")
        return (await self.answers(before + 1))[before]
