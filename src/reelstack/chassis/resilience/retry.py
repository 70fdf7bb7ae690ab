"""When a failed call may be tried again, on another instance, within a budget.

A retry goes to a different instance than the attempts before it (Ribbon's
``MaxAutoRetriesNextServer``), and only when trying again is safe and useful:

- the connection could not be made (refused, connect timeout): nothing was
  sent, so any method may be retried, as Ribbon does with its
  ``OkToRetryOnConnectErrors``;
- the connection broke after the request was sent, or the instance answered
  502, 503 or 504: only an idempotent request is retried (GET, HEAD, PUT,
  DELETE, OPTIONS, or one the caller marks idempotent), because the first
  attempt may have taken effect.

Retries are capped per call (``retries``) and, across calls, by a retry
budget, as Finagle's ``RetryBudget`` and Envoy's retry budgets do: over a
rolling window, retries may be at most ``ratio`` of the calls made, plus a
small reserve of ``min_per_s`` per second so a quiet caller can still retry.
Without a budget, a struggling service sees every caller triple its load
exactly when it can least take it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, NamedTuple

import aiohttp
from aiohttp import (
    ClientConnectionError,
    ClientConnectorError,
    ClientError,
    ConnectionTimeoutError,
)

from reelstack.chassis.discovery import InstanceInfo
from reelstack.chassis.resilience.errors import (
    CallError,
    CallTimeoutError,
    ConnectionFailedError,
    RequestFailedError,
)
from reelstack.chassis.resilience.response import Response
from reelstack.chassis.resilience.window import RollingWindow

if TYPE_CHECKING:
    from reelstack.chassis.resilience.target import ServiceTarget

log = logging.getLogger(__name__)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
RETRY_STATUSES = frozenset({502, 503, 504})


def is_idempotent(method: str, idempotent: bool | None = None) -> bool:
    """Return whether a request may be sent twice: the caller's word, else by method."""
    if idempotent is not None:
        return idempotent
    return method in IDEMPOTENT_METHODS


class RetryBudget:
    """Retries allowed over a rolling window: ``ratio`` of calls plus a reserve.

    The calls come from ``calls(now)``, a count over the last window that
    something else keeps already (the client passes its circuit breaker's,
    so a call costs the budget nothing; only a retry touches it). Without
    ``calls`` the budget counts the calls given to :meth:`deposit` itself.
    """

    __slots__ = ("_calls", "_own", "min_per_s", "ratio", "retries")

    def __init__(
        self,
        ratio: float = 0.2,
        min_per_s: float = 10.0,
        window_s: float = 10.0,
        calls: Callable[[float], int] | None = None,
    ) -> None:
        self.ratio = ratio
        self.min_per_s = min_per_s
        self.retries = RollingWindow(window_s)
        self._own = RollingWindow(window_s) if calls is None else None
        self._calls = calls

    def configure(self, *, ratio: float, min_per_s: float) -> None:
        """Apply new settings."""
        self.ratio = ratio
        self.min_per_s = min_per_s

    def deposit(self, now: float) -> None:
        """Count a call (only for a budget that counts its own calls)."""
        if self._own is None:
            raise TypeError("this budget reads its calls from elsewhere")
        self._own.add(now, False)

    def calls(self, now: float) -> int:
        """Return the calls over the window at ``now``."""
        if self._calls is not None:
            return self._calls(now)
        assert self._own is not None
        self._own.roll(now)
        return self._own.total

    def try_withdraw(self, now: float) -> bool:
        """Count a retry and return True if the budget allows one now, else return False."""
        retries = self.retries
        retries.roll(now)
        allowed = self.ratio * self.calls(now) + self.min_per_s * retries.window_s
        if retries.total + 1 > allowed:
            return False
        retries.add(now, False)
        return True


class Call(NamedTuple):
    """What a retry needs to send a request again (built only when one may happen)."""

    service: str
    method: str
    path: str
    headers: Mapping[str, str] | None
    body: bytes | None
    idempotent: bool | None
    started: float
    timeout_s: float


async def recover(
    session: aiohttp.ClientSession,
    clock: Callable[[], float],
    target: ServiceTarget,
    call: Call,
    instances: Sequence[InstanceInfo],
    instance: InstanceInfo,
    failed: BaseException | Response,
) -> Response | CallError:
    """Handle a failed first attempt: retry on other instances while allowed, else say why.

    ``failed`` is the attempt's error, or its 502/503/504 response. Returns
    the response to give the caller (a success, or the last 5xx) or the error
    the call ends with.
    """
    balancer = target.balancer
    deadline = call.started + call.timeout_s
    idempotent = call.idempotent
    if idempotent is None:
        idempotent = call.method in IDEMPOTENT_METHODS
    attempts = 1
    tried: list[str] = []
    while True:
        connected = True
        if not isinstance(failed, Response):
            if isinstance(failed, ClientConnectorError | ConnectionTimeoutError):
                connected = False  # nothing was sent
            elif isinstance(failed, TimeoutError):
                return CallTimeoutError(call.service, call.timeout_s)
            elif not isinstance(failed, ClientConnectionError):
                other = RequestFailedError(call.service, failed)
                other.__cause__ = failed
                return other
        at = clock()
        if not isinstance(failed, Response):
            target.connection_failures += 1
            _connect_failed(target, instance, at)
        if at >= deadline:
            return CallTimeoutError(call.service, call.timeout_s)
        if attempts > target.options.retries or not (idempotent or not connected):
            break
        tried.append(instance.instance_id)
        following = balancer.choose(instances, at, tried)
        if following is None:
            break
        if not target.budget.try_withdraw(at):
            target.retries_denied += 1
            break
        target.retries += 1
        attempts += 1
        instance = following
        failed = await _attempt(session, call, instance, target.remaining_timeout(deadline - at))
        if isinstance(failed, Response):
            if balancer.health:
                balancer.on_success(instance)
            if failed.status not in RETRY_STATUSES:
                return failed
    if isinstance(failed, Response):
        return failed
    error = ConnectionFailedError(call.service, attempts, failed)
    error.__cause__ = failed
    return error


async def _attempt(
    session: aiohttp.ClientSession,
    call: Call,
    instance: InstanceInfo,
    client_timeout: aiohttp.ClientTimeout,
) -> Response | BaseException:
    """Send the request once more; return its response or the error it ended with."""
    try:
        async with session.request(
            call.method,
            f"http://{instance.host}:{instance.port}{call.path}",
            headers=call.headers,
            data=call.body,
            timeout=client_timeout,
        ) as raw:
            data = await raw.read()
    except (ClientError, TimeoutError) as exc:
        return exc
    return Response(raw.status, raw.headers, data, instance)


def _connect_failed(target: ServiceTarget, instance: InstanceInfo, at: float) -> None:
    balancer = target.balancer
    tripped = balancer.tripped
    balancer.on_connect_failure(instance, at)
    if balancer.tripped != tripped:
        state = balancer.health[instance.instance_id]
        log.warning(
            "skipping instance %s of %s for %.0f s after %d connection failures",
            instance.instance_id,
            target.service,
            state.skip_until - at,
            state.failures,
            extra={"service": target.service, "instance_id": instance.instance_id},
        )
