"""The resilient client (Ribbon + Hystrix) as small layers, each usable alone.

- :mod:`.loadbalancer`: zone-preferring round robin, availability filtering
- :mod:`.breaker`: circuit breaker (rolling window, sleep, half-open trial)
- :mod:`.bulkhead`: bounded concurrency, full means refused
- :mod:`.retry`: which failures are retried, and the retry budget
- :mod:`.client`: :class:`ResilientClient` composing them over the chassis'
  aiohttp session; :mod:`.metrics` exposes their counters

The gateway runs its own call path through the same per-service layers
(``client.target(service)``).
"""

from reelstack.chassis.resilience.breaker import CircuitBreaker
from reelstack.chassis.resilience.bulkhead import Bulkhead
from reelstack.chassis.resilience.client import Fallback, ResilientClient
from reelstack.chassis.resilience.errors import (
    BulkheadFullError,
    CallError,
    CallTimeoutError,
    ConnectionFailedError,
    NoInstancesError,
    RequestFailedError,
    ShortCircuitedError,
    UpstreamError,
)
from reelstack.chassis.resilience.loadbalancer import LoadBalancer
from reelstack.chassis.resilience.options import ClientOptions, Overrides
from reelstack.chassis.resilience.response import Response
from reelstack.chassis.resilience.retry import RetryBudget, is_idempotent
from reelstack.chassis.resilience.target import ServiceTarget

__all__ = [
    "Bulkhead",
    "BulkheadFullError",
    "CallError",
    "CallTimeoutError",
    "CircuitBreaker",
    "ClientOptions",
    "ConnectionFailedError",
    "Fallback",
    "LoadBalancer",
    "NoInstancesError",
    "Overrides",
    "RequestFailedError",
    "ResilientClient",
    "Response",
    "RetryBudget",
    "ServiceTarget",
    "ShortCircuitedError",
    "UpstreamError",
    "is_idempotent",
]
