"""The proxy endpoint: a request to an instance of the route's service, and back.

It runs the call through the same per-service layers as the resilient client
(:class:`~reelstack.chassis.resilience.ServiceTarget`: circuit breaker,
bulkhead, zone-preferring load balancer with availability filtering, retry
budget), sharing their state and metrics, over its own pooled keep-alive
connections (:mod:`reelstack.gateway.upstream`) instead of aiohttp: the
gateway forwards bytes it already has, and aiohttp's request and response
objects cost several times the rest of the request.

Retries go to another instance:

- a connection that could not be made: any method (nothing was sent);
- a pooled connection the service closed before answering: an idempotent
  request (the service may have acted on the first one);
- a 502, 503 or 504 answer: an idempotent request;

each within ``client.retries`` per request and the service's retry budget,
and only while the request body can be sent again (no body, or a small one
kept in memory). The route's timeout bounds the wait for the response head,
retries included; it answers 504.

A request takes a bulkhead slot only once it is ready to be forwarded: its
body read in full when small, or its first ``REPLAY_MAX_BYTES`` when large
(the rest streams, under the server's per-chunk and total deadlines).
Clients that send headers and stall their body wait for their own bytes,
not in a slot a well-behaved client needs (ADR 0017).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from time import monotonic, perf_counter

from reelstack.chassis.discovery import Discovery, InstanceInfo
from reelstack.chassis.resilience import ResilientClient, ServiceTarget
from reelstack.chassis.resilience.breaker import CLOSED, PASS, TRIAL
from reelstack.chassis.resilience.retry import RETRY_STATUSES
from reelstack.chassis.resilience.target import (
    BULKHEAD_REJECTED,
    FAILURE,
    SHORT_CIRCUITED,
    SUCCESS,
    TIMEOUT,
)
from reelstack.gateway.forwarding import (
    SKIP_RESPONSE,
    PrefixedBody,
    connection_tokens,
    read_upto,
    request_head,
    stream_body,
)
from reelstack.gateway.models import (
    IDEMPOTENT,
    BodySource,
    GatewayResponse,
    Headers,
    RequestContext,
)
from reelstack.gateway.pools import Pools
from reelstack.gateway.responses import error_response
from reelstack.gateway.upstream import UpstreamClosedError, UpstreamConnection, UpstreamTimeoutError

log = logging.getLogger(__name__)

# A request body up to this size is read into memory before the first
# attempt, so a retry can send it again; a larger one is streamed once.
REPLAY_MAX_BYTES = 64 * 1024


class UpstreamBody:
    """A response body streamed from a service; closing it frees the call's resources."""

    __slots__ = ("conn", "read_idle_s", "target")

    def __init__(self, conn: UpstreamConnection, target: ServiceTarget, read_idle_s: float):
        self.conn = conn
        self.target = target
        self.read_idle_s = read_idle_s

    async def read(self) -> bytes:
        conn = self.conn
        if conn.chunks:
            return conn.take_body()
        if conn.done:
            return b""
        # A service that stops sending mid-body must not hold the client forever.
        conn.set_deadline(conn.loop.time() + self.read_idle_s)
        try:
            return await conn.read()
        finally:
            conn.clear_deadline()

    def close(self, complete: bool) -> None:
        conn = self.conn
        if complete and conn.done:
            conn.pool.put(conn)
        else:
            conn.abort()
        self.target.bulkhead.in_use -= 1


def _reject(status: int, error: str, detail: str, retry_after: int | None) -> GatewayResponse:
    response = error_response(status, error, detail)
    if retry_after is not None:
        response.headers.append((b"retry-after", b"%d" % retry_after))
    return response


# What one proxied call was, for the breaker and the call counters.
NOT_CALLED = 0  # no instance to call: the breaker learns nothing
CALL_OK = 1
CALL_FAILED = 2
CALL_TIMED_OUT = 3


class ProxyEndpoint:
    """Sends a routed request to an instance of its service."""

    name = "proxy"
    kind = "endpoint"

    def __init__(
        self,
        *,
        discovery: Discovery,
        client: ResilientClient,
        pools: Pools,
        timeout_s: float,
        read_idle_s: float = 60.0,
    ) -> None:
        self.discovery = discovery
        self.client = client
        self.pools = pools
        self.timeout_s = timeout_s
        self.read_idle_s = read_idle_s

    async def handle(self, ctx: RequestContext) -> GatewayResponse:
        route = ctx.route
        assert route is not None
        service = route.service
        target = self.client.targets.get(service) or self.client.target(service)
        payload = b""
        rest: BodySource | None = None
        if ctx.body is not None:
            # Reserve late: the client's bytes first, then a breaker ticket
            # and a bulkhead slot (a stalled body holds neither).
            payload, complete = await read_upto(ctx.body, REPLAY_MAX_BYTES)
            if not complete:
                rest = PrefixedBody(payload, ctx.body)
                payload = b""
        now = monotonic()
        breaker = target.breaker
        ticket = PASS if breaker.state == CLOSED else breaker.allow(now)
        if not ticket:
            target.counts[SHORT_CIRCUITED] += 1
            wait = breaker.sleep_window_s - (now - breaker.opened_at)
            return _reject(503, "ServiceUnavailable", f"{service}: circuit open", round(wait + 1))
        bulkhead = target.bulkhead
        if bulkhead.in_use >= bulkhead.max_concurrent:
            # Load shedding: the service already has its share of requests in
            # flight; queueing more in front of it would only add waiting.
            bulkhead.rejected += 1
            breaker.release(ticket)
            target.counts[BULKHEAD_REJECTED] += 1
            ctx.passport.mark("shed")
            return _reject(503, "ServiceOverloaded", f"{service}: too many requests in flight", 1)
        bulkhead.in_use += 1
        streaming = False
        verdict = NOT_CALLED
        try:
            response, verdict = await self._call(ctx, target, now, payload, rest)
            # A streamed body holds its bulkhead slot until the stream closes.
            streaming = response.stream is not None
            return response
        finally:
            if not streaming:
                bulkhead.in_use -= 1
            if verdict == CALL_OK:
                target.counts[SUCCESS] += 1
                breaker.on_success(ticket, now)
                if ticket == TRIAL:
                    log.info("circuit breaker for %s closed: the trial call succeeded", service)
            elif verdict == NOT_CALLED:
                breaker.release(ticket)
            else:
                target.counts[TIMEOUT if verdict == CALL_TIMED_OUT else FAILURE] += 1
                state = breaker.state
                breaker.on_failure(ticket, monotonic())
                if breaker.state != state:
                    log.warning("circuit breaker for %s opened", service)

    async def _call(
        self,
        ctx: RequestContext,
        target: ServiceTarget,
        now: float,
        payload: bytes,
        body: BodySource | None,
    ) -> tuple[GatewayResponse, int]:
        """Return the response and what the call was (NOT_CALLED, CALL_OK, ...)."""
        route = ctx.route
        assert route is not None
        service = route.service
        instances = self.discovery.instances(service)
        balancer = target.balancer
        instance = balancer.choose(instances, now)
        if instance is None:
            target.counts[FAILURE] += 1
            return _reject(
                503, "ServiceUnavailable", f"{service}: no instance is up", 1
            ), NOT_CALLED
        timeout_s = route.timeout_s or self.timeout_s
        deadline = now + timeout_s
        idempotent = ctx.method in IDEMPOTENT
        # A body streamed from the client can be sent only once.
        replayable = body is None
        head = request_head(
            ctx, route.upstream_path(ctx.path), payload, body is not None, instance.address
        )
        request = head + payload if payload else head
        is_head = ctx.method == "HEAD"
        passport = ctx.passport
        attempts = 0
        tried: list[str] = []
        while True:
            attempts += 1
            began = perf_counter()
            pool = self.pools.get(instance.host, instance.port)
            conn = pool.take()
            reused = conn is not None
            error: BaseException | None = None
            if conn is None:
                try:
                    conn = await pool.connect(
                        min(target.options.connect_timeout_s, max(deadline - monotonic(), 0.001))
                    )
                except (OSError, TimeoutError) as exc:
                    error = exc
            if conn is not None:
                # The connection's deadline is on the loop's clock.
                conn.set_deadline(conn.loop.time() + deadline - monotonic())
                answered = False
                try:
                    waiter = conn.send(request, is_head=is_head)
                    if body is not None:
                        await stream_body(conn, body, ctx.content_length is None)
                    await waiter
                    answered = True
                except UpstreamTimeoutError:
                    passport.attempt(instance.instance_id, "timeout", 0, began)
                    return (
                        _reject(504, "GatewayTimeout", f"{service}: no answer in time", None),
                        CALL_TIMED_OUT,
                    )
                except UpstreamClosedError as exc:
                    error = exc
                finally:
                    conn.clear_deadline()
                    if not answered:
                        # Timed out, failed, cancelled (the client left) or the
                        # body went over its limit: this connection is done.
                        conn.abort()
            at = monotonic()
            if error is not None:
                connected = conn is not None
                passport.attempt(
                    instance.instance_id, "reset" if connected else "connect_error", 0, began
                )
                target.connection_failures += 1
                if not reused:
                    # A pooled connection closed under us says little about the
                    # instance (it may have closed it as idle); a new one does.
                    _connect_failed(target, instance, at)
                # Nothing was sent on a failed connect: any method may go again.
                allowed = not connected or (idempotent and replayable)
                following = self._next(target, instances, instance, at, tried, attempts, allowed)
                if following is not None and at < deadline:
                    tried.append(instance.instance_id)
                    instance = following
                    continue
                detail = f"{service}: {type(error).__name__}: {error}"
                return _reject(502, "BadGateway", detail, None), CALL_FAILED
            assert conn is not None
            status = conn.status
            if balancer.health:
                balancer.on_success(instance)
            if status in RETRY_STATUSES and idempotent and replayable and at < deadline:
                following = self._next(target, instances, instance, at, tried, attempts, True)
                if following is not None:
                    passport.attempt(instance.instance_id, "retried_status", status, began)
                    if conn.done:
                        conn.pool.put(conn)
                    else:
                        conn.abort()
                    tried.append(instance.instance_id)
                    instance = following
                    continue
            passport.attempt(instance.instance_id, "ok", status, began)
            return self._respond(conn, target), CALL_OK if status < 500 else CALL_FAILED

    def _next(
        self,
        target: ServiceTarget,
        instances: Sequence[InstanceInfo],
        failed: InstanceInfo,
        at: float,
        tried: list[str],
        attempts: int,
        allowed: bool,
    ) -> InstanceInfo | None:
        """Return the instance for a retry, or None if no retry may be sent."""
        if not allowed or attempts > target.options.retries:
            return None
        following = target.balancer.choose(instances, at, [*tried, failed.instance_id])
        if following is None:
            return None
        if not target.budget.try_withdraw(at):
            target.retries_denied += 1
            return None
        target.retries += 1
        return following

    def _respond(self, conn: UpstreamConnection, target: ServiceTarget) -> GatewayResponse:
        headers: Headers = []
        length: int | None = None
        dropped = SKIP_RESPONSE
        for name, value in conn.headers:
            if name in dropped:
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    dropped = dropped | connection_tokens(value)
                continue
            headers.append((name, value))
        if conn.done:
            body = conn.take_body() if conn.chunks else b""
            conn.pool.put(conn)
            response = GatewayResponse(conn.status, headers, body)
            if conn.is_head:
                response.length = length  # HEAD: the length a GET would have
            return response
        stream = UpstreamBody(conn, target, self.read_idle_s)
        return GatewayResponse(conn.status, headers, stream=stream, length=length)


def _connect_failed(target: ServiceTarget, instance: InstanceInfo, at: float) -> None:
    balancer = target.balancer
    tripped = balancer.tripped
    balancer.on_connect_failure(instance, at)
    if balancer.tripped != tripped:
        state = balancer.health[instance.instance_id]
        log.warning(
            "skipping instance %s of %s for %.0f s after %d connection failure(s)",
            instance.instance_id,
            target.service,
            state.skip_until - at,
            state.failures,
            extra={"service": target.service, "instance_id": instance.instance_id},
        )
