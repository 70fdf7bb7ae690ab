"""The resilient client: calls to a service by name, through every layer.

``await client.request("catalog", "GET", "/titles/7")`` goes, in order, through

1. the service's circuit breaker (open: fail at once, short-circuited),
2. its bulkhead (full: fail at once, :class:`BulkheadFullError`),
3. discovery and the load balancer (an instance in our zone, not skipped),
4. the chassis' aiohttp session (one connection pool for every instance,
   the request id propagated), with the call's timeout,
5. retry on another instance when that is safe and the retry budget allows,

then records the outcome in the breaker and the counters, and hands a failed
or short-circuited call to the caller's fallback if there is one. The timeout
covers the whole call, retries included, as Hystrix's timeout wraps Ribbon's
retries: a caller's latency bound holds whatever happens below.

A response with a status below 500 is a success. A 5xx response counts as a
failure for the breaker; without a fallback it is returned as it came, with a
fallback the fallback answers instead. Errors (no instance, connection failed,
timeout, short-circuited, bulkhead full) raise :class:`CallError` subclasses,
or go to the fallback.

The layers keep plain counters and attributes and take no lock: the event loop
is the only writer. Settings are pushed into them when a runtime property
changes, so the call path never looks one up.
"""

from __future__ import annotations

import inspect
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import ClientError
from prometheus_client import CollectorRegistry

from reelstack.chassis.client import http_session
from reelstack.chassis.discovery import Discovery
from reelstack.chassis.resilience.breaker import CLOSED, PASS, TRIAL
from reelstack.chassis.resilience.errors import (
    BulkheadFullError,
    CallError,
    NoInstancesError,
    ShortCircuitedError,
    UpstreamError,
)
from reelstack.chassis.resilience.metrics import ClientCollector
from reelstack.chassis.resilience.options import (
    SETTING_KEYS,
    ClientOptions,
    Overrides,
    check_overrides,
    current,
)
from reelstack.chassis.resilience.response import Response
from reelstack.chassis.resilience.retry import RETRY_STATUSES, Call, recover
from reelstack.chassis.resilience.target import (
    BULKHEAD_REJECTED,
    FAILURE,
    FALLBACK,
    OUTCOMES,
    SHORT_CIRCUITED,
    SUCCESS,
    ServiceTarget,
)
from reelstack.config import Config

if TYPE_CHECKING:
    from reelstack.chassis.state import Chassis

log = logging.getLogger(__name__)

Fallback = Callable[[CallError], Response | Awaitable[Response]]


class ResilientClient:
    """Calls services by name with load balancing, breakers, bulkheads and retries.

    ``discovery`` answers where a service's instances are; ``zone`` is the
    caller's zone (preferred when choosing an instance). Settings come from
    ``config``'s ``client.*`` runtime properties, followed live, or from
    ``options`` when there is no config; ``overrides`` sets some of them
    differently per target service. ``session`` is the aiohttp session to
    call with (it must have no ``base_url``); without one the client makes
    the chassis' session on first use and closes it in :meth:`close`.
    ``registry`` gets the client's metrics; ``clock`` is for tests.
    """

    def __init__(
        self,
        discovery: Discovery,
        *,
        zone: str = "a",
        config: Config | None = None,
        options: ClientOptions | None = None,
        overrides: Mapping[str, Overrides] | None = None,
        session: aiohttp.ClientSession | None = None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if config is not None and options is not None:
            raise ValueError("give config (followed live) or options, not both")
        self.discovery = discovery
        self.zone = zone
        self.overrides: dict[str, Overrides] = dict(overrides or {})
        check_overrides(self.overrides)
        self.options = (
            current(config) if config is not None else options or ClientOptions.defaults()
        )
        self.targets: dict[str, ServiceTarget] = {}
        self._session = session
        self._owns_session = session is None
        self._clock = clock
        if config is not None:
            _follow(self, config)
        if registry is not None:
            registry.register(ClientCollector(self.targets, clock))

    @classmethod
    def for_chassis(
        cls,
        chassis: Chassis,
        discovery: Discovery,
        *,
        overrides: Mapping[str, Overrides] | None = None,
        session: aiohttp.ClientSession | None = None,
    ) -> ResilientClient:
        """Return a client for a chassis app: its zone, settings and metrics registry."""
        return cls(
            discovery,
            zone=chassis.identity.zone,
            config=chassis.config,
            overrides=overrides,
            session=session,
            registry=chassis.metrics.registry,
        )

    def target(self, service: str) -> ServiceTarget:
        """Return the layers and counters for calls to ``service`` (made on first use)."""
        target = self.targets.get(service)
        if target is None:
            options = self.options.with_overrides(self.overrides.get(service))
            target = self.targets[service] = ServiceTarget(service, self.zone, options)
        return target

    def reconfigure(self, options: ClientOptions) -> None:
        """Apply new global options to every service (overrides still win)."""
        self.options = options
        for name, target in self.targets.items():
            target.configure(options.with_overrides(self.overrides.get(name)))

    @property
    def session_open(self) -> bool:
        """Whether the client holds an open session (made on first call, until closed)."""
        return self._session is not None and not self._session.closed

    async def close(self) -> None:
        """Close the session if the client made it."""
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    async def __aenter__(self) -> ResilientClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
        timeout_s: float | None = None,
        idempotent: bool | None = None,
        fallback: Fallback | None = None,
    ) -> Response:
        """Call ``method path`` on an instance of ``service`` and return its response.

        ``timeout_s`` bounds the whole call, retries included (default: the
        ``client.timeout_s`` setting). ``idempotent`` says whether the request
        may be sent twice (default: by method). ``fallback(error)`` answers
        instead when the call fails, times out, is short-circuited or
        rejected, or gets a 5xx response; it may be a coroutine function.
        Without a fallback, errors raise :class:`CallError` subclasses.
        """
        # The first attempt runs inline, in this one coroutine: every await
        # below it resumes through each frame above, so a call that succeeds
        # first time pays for no second coroutine. Anything else goes to
        # retry.recover.
        target = self.targets.get(service)
        if target is None:
            target = self.target(service)
        now = self._clock()
        breaker = target.breaker
        ticket = PASS if breaker.state == CLOSED else breaker.allow(now)
        if not ticket:
            target.counts[SHORT_CIRCUITED] += 1
            return await self._fail(target, ShortCircuitedError(service), fallback)
        bulkhead = target.bulkhead
        if bulkhead.in_use >= bulkhead.max_concurrent:
            bulkhead.rejected += 1
            breaker.release(ticket)
            target.counts[BULKHEAD_REJECTED] += 1
            error = BulkheadFullError(service, bulkhead.max_concurrent)
            return await self._fail(target, error, fallback)
        instances = self.discovery.instances(service)
        instance = target.balancer.choose(instances, now)
        if instance is None:
            breaker.release(ticket)  # nothing was called: no news about the service
            target.counts[FAILURE] += 1
            return await self._fail(target, NoInstancesError(service), fallback)
        if timeout_s is None:
            timeout_s = target.options.timeout_s
            timeout = target.timeout
        else:
            timeout = target.client_timeout(timeout_s)
        session = self._session
        if session is None:
            session = self._session = http_session()
        bulkhead.in_use += 1
        result: Response | CallError | None = None
        try:
            try:
                async with session.request(
                    method,
                    f"http://{instance.host}:{instance.port}{path}",
                    headers=headers,
                    data=body,
                    timeout=timeout,
                ) as raw:
                    data = await raw.read()
            except (ClientError, TimeoutError) as exc:
                call = Call(service, method, path, headers, body, idempotent, now, timeout_s)
                result = await recover(session, self._clock, target, call, instances, instance, exc)
            else:
                if target.balancer.health:
                    target.balancer.on_success(instance)
                result = Response(raw.status, raw.headers, data, instance)
                if raw.status in RETRY_STATUSES:
                    call = Call(service, method, path, headers, body, idempotent, now, timeout_s)
                    result = await recover(
                        session, self._clock, target, call, instances, instance, result
                    )
        finally:
            bulkhead.in_use -= 1
            if result is None:  # cancelled: the trial, if this was it, never ran
                breaker.release(ticket)
        if type(result) is Response:
            if result.status < 500:
                if ticket == PASS:
                    breaker.on_success(ticket, now)
                else:
                    self._trial_succeeded(target, ticket, now)
                target.counts[SUCCESS] += 1
                return result
            self._failed(target, ticket)
            target.counts[FAILURE] += 1
            if fallback is None:
                return result
            return await self._fail(target, UpstreamError(service, result), fallback)
        assert isinstance(result, CallError)
        self._failed(target, ticket)
        target.counts[OUTCOMES.index(result.outcome)] += 1
        return await self._fail(target, result, fallback)

    def _failed(self, target: ServiceTarget, ticket: int) -> None:
        breaker = target.breaker
        state = breaker.state
        breaker.on_failure(ticket, self._clock())
        if breaker.state != state or ticket == TRIAL:
            log.warning(
                "circuit breaker for %s %s",
                target.service,
                "opened" if ticket != TRIAL else "stays open: the trial call failed",
                extra={"service": target.service, "breaker": breaker.state_name},
            )

    @staticmethod
    def _trial_succeeded(target: ServiceTarget, ticket: int, now: float) -> None:
        target.breaker.on_success(ticket, now)
        log.info(
            "circuit breaker for %s closed: the trial call succeeded",
            target.service,
            extra={"service": target.service, "breaker": target.breaker.state_name},
        )

    @staticmethod
    async def _fail(target: ServiceTarget, error: CallError, fallback: Fallback | None) -> Response:
        if fallback is None:
            raise error
        # Counted in the metrics; a line per call would flood the log in an outage.
        log.debug("fallback answers for %s: %s", target.service, error)
        target.counts[FALLBACK] += 1
        answer = fallback(error)
        if inspect.isawaitable(answer):
            answer = await answer
        if not isinstance(answer, Response):
            raise TypeError(f"a fallback must return a Response, not {type(answer).__name__}")
        return answer


def _follow(client: ResilientClient, config: Config) -> None:
    """Re-read the ``client.*`` settings into ``client`` whenever one changes."""
    ref = weakref.ref(client)

    def on_change(key: str, value: object) -> None:
        target = ref()
        if target is not None and key in SETTING_KEYS:
            target.reconfigure(current(config))

    config.on_change(on_change)
