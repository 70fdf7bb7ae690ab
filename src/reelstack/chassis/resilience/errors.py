"""Why a call through the resilient client failed.

All are :class:`~reelstack.errors.UnavailableError` (the dependency cannot
serve this call right now; the chassis answers 503 when one escapes a route),
so a caller may catch them all at once or tell them apart:

    UnavailableError
    └── CallError                   a call to ``service`` failed
        ├── NoInstancesError        discovery knows no instance of the service
        ├── ShortCircuitedError     its circuit breaker is open
        ├── BulkheadFullError       its bulkhead is full
        ├── CallTimeoutError        the call ran out of time
        ├── ConnectionFailedError   no instance could be reached
        ├── UpstreamError           an instance answered 5xx (passed to fallbacks)
        └── RequestFailedError      any other transport error (bad payload, ...)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from reelstack.errors import UnavailableError

if TYPE_CHECKING:
    from reelstack.chassis.resilience.response import Response


class CallError(UnavailableError):
    """A call to ``service`` failed; ``outcome`` is its label in the metrics."""

    outcome = "failure"

    def __init__(self, service: str, message: str) -> None:
        self.service = service
        super().__init__(f"call to {service}: {message}")


class NoInstancesError(CallError):
    """Discovery returned no instance of the service."""

    def __init__(self, service: str) -> None:
        super().__init__(service, "no instance is registered and up")


class ShortCircuitedError(CallError):
    """The service's circuit breaker is open: the call was not attempted."""

    outcome = "short_circuited"

    def __init__(self, service: str) -> None:
        super().__init__(service, "short-circuited: the circuit breaker is open")


class BulkheadFullError(CallError):
    """The service already has as many calls in flight as its bulkhead allows."""

    outcome = "bulkhead_rejected"

    def __init__(self, service: str, max_concurrent: int) -> None:
        self.max_concurrent = max_concurrent
        super().__init__(service, f"bulkhead full: {max_concurrent} calls already in flight")


class CallTimeoutError(CallError):
    """The call did not finish within its timeout."""

    outcome = "timeout"

    def __init__(self, service: str, timeout_s: float) -> None:
        self.timeout_s = timeout_s
        super().__init__(service, f"timed out after {timeout_s:g} s")


class ConnectionFailedError(CallError):
    """No instance tried could be reached (the cause is chained)."""

    def __init__(self, service: str, attempts: int, cause: BaseException) -> None:
        self.attempts = attempts
        super().__init__(service, f"connection failed after {attempts} attempt(s): {cause!r}")


class UpstreamError(CallError):
    """An instance answered with a server error; ``response`` is what it sent."""

    def __init__(self, service: str, response: Response) -> None:
        self.response = response
        super().__init__(service, f"upstream answered {response.status}")


class RequestFailedError(CallError):
    """The call failed for another transport reason (the cause is chained)."""

    def __init__(self, service: str, cause: BaseException) -> None:
        super().__init__(service, f"request failed: {cause!r}")
