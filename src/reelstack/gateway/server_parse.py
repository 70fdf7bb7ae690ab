"""The parser's side of a client connection: httptools' callbacks build the request.

:class:`RequestParsingMixin` is part of
:class:`~reelstack.gateway.server.GatewayProtocol`: the callbacks httptools
calls while it parses (request line, headers, body, end), which count the
head's bytes, refuse framing two parsers could read differently
(:class:`~reelstack.gateway.server_front.FramingError`) and queue each
request as a :class:`~reelstack.gateway.models.RequestContext` for the
connection's worker to answer.
"""

from __future__ import annotations

import asyncio
from time import perf_counter

import httptools

from reelstack.chassis.requestid import accept
from reelstack.gateway.chain import new_request_id
from reelstack.gateway.models import Headers, RequestContext
from reelstack.gateway.passport import Passport
from reelstack.gateway.server_front import FramingError, FrontDoorMixin
from reelstack.gateway.wire import ClientBody


class HeadersTooLargeError(Exception):
    """The request line and headers went over ``gateway.max_header_bytes``."""


class RequestParsingMixin(FrontDoorMixin):
    """httptools' callbacks for one connection (the protocol's state, shared)."""

    # The protocol's state this part reads and writes (set in its __init__).
    parser: httptools.HttpRequestParser
    url: bytes
    headers: Headers
    header_bytes: int
    max_header_bytes: int
    request_id: bytes | None
    host: bytes
    content_length: int | None
    chunked: bool
    expect: bool
    head_raw: int
    ready: asyncio.Future[None] | None

    def write(self, data: bytes) -> None:
        raise NotImplementedError  # the protocol's

    def pause_reading_for_body(self) -> None:
        raise NotImplementedError  # the protocol's

    def resume_reading_for_body(self) -> None:
        raise NotImplementedError  # the protocol's

    def _pause_reading(self) -> None:
        raise NotImplementedError  # the protocol's

    def on_message_begin(self) -> None:
        self.url = b""
        self.headers = []
        self.header_bytes = 0
        self.max_header_bytes = self.front.max_header_bytes
        self.request_id = None
        self.host = b""
        self.content_length = None
        self.chunked = False
        self.expect = False

    def on_url(self, url: bytes) -> None:
        self.url += url
        self.header_bytes += len(url)
        if self.header_bytes > self.max_header_bytes:
            raise HeadersTooLargeError

    def on_header(self, name: bytes, value: bytes) -> None:
        self.header_bytes += len(name) + len(value) + 4
        if self.header_bytes > self.max_header_bytes:
            raise HeadersTooLargeError
        name = name.lower()
        self.headers.append((name, value))
        if name == b"host":
            if self.host:
                # RFC 9112 3.2: which one a service would use is anyone's guess.
                raise FramingError(400, b"more than one Host header")
            self.host = value
        elif name == b"x-request-id":
            self.request_id = value
        elif name == b"content-length":
            self.content_length = int(value)  # the parser has checked it is a number
        elif name == b"transfer-encoding":
            # The parser has refused every value it reads differently from
            # "chunked" at the end; any other coding is one we do not speak,
            # and would be dropped on the way (RFC 9112 6.1: 501).
            if self.chunked or value.strip().lower() != b"chunked":
                raise FramingError(501, b"only Transfer-Encoding: chunked is supported")
            self.chunked = True
        elif name == b"expect":
            self.expect = value.lower() == b"100-continue"

    def on_headers_complete(self) -> None:
        self.in_head = False
        self.head_raw = 0
        self.head_started = 0.0
        parser = self.parser
        version = parser.get_http_version()
        if version != "1.1":
            if version != "1.0":
                raise FramingError(505, b"only HTTP/1.1 and HTTP/1.0 are served")
            if self.chunked:
                # RFC 9112 6.1: an HTTP/1.0 message with Transfer-Encoding has faulty framing.
                raise FramingError(400, b"Transfer-Encoding in an HTTP/1.0 request")
        if parser.should_upgrade():
            raise httptools.HttpParserUpgrade("upgrade")
        url = self.url
        if url[:1] != b"/":
            # Absolute form (a client talking to us as a proxy) or "*".
            parsed = httptools.parse_url(url)
            raw_path = parsed.path or b"/"
            query = parsed.query or b""
        else:
            raw_path, _, query = url.partition(b"?")
        has_body = self.chunked or bool(self.content_length)
        body = ClientBody(self, self.content_length, self.expect) if has_body else None
        request_id = self.request_id
        ctx = RequestContext(
            method=parser.get_method().decode("ascii"),
            path=raw_path.decode("latin-1"),
            query=query,
            headers=self.headers,
            client=self.client,
            http_version=version,
            request_id=new_request_id() if request_id is None else accept(request_id),
            passport=Passport(perf_counter()),
            body=body,
            content_length=self.content_length if not self.chunked else None,
            host=self.host,
        )
        if body is not None:
            body.ctx = ctx
            self.body_started = self.body_last = now = self.loop.time()
            front = self.front
            self._watch_at(now + min(front.body_chunk_timeout_s, front.body_timeout_s))
        self.parsing_body = body
        self.unfinished = ctx if body is not None else None
        self.pipeline.append((ctx, parser.should_keep_alive() and not self.closing))
        ready = self.ready
        if ready is not None:
            self.ready = None
            ready.set_result(None)
        if len(self.pipeline) > 1:
            self._pause_reading()  # pipelined: parse no further until answered

    def on_body(self, body: bytes) -> None:
        if self.parsing_body is not None:
            self.body_last = self.loop.time()
            self.parsing_body.feed(body)

    def on_message_complete(self) -> None:
        self.in_head = True
        self.unfinished = None
        if self.parsing_body is not None:
            self.parsing_body.end()
            self.parsing_body = None
