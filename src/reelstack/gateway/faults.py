"""Fault injection: added latency or an error status, for chaos experiments.

Two sources, both off by default:

- the ``X-Reelstack-Fault`` request header, honoured only while the runtime
  property ``gateway.faults.header`` is true: ``delay=200ms``, ``abort=503``,
  or both (``delay=1s,abort=500``);
- the runtime property ``gateway.faults.routes``, per route prefix:
  ``/api/hello:delay=200ms,pct=10;/api/catalog:abort=503`` (``pct``: the
  share of that route's requests hit, 100 by default).

A delay is served before the request goes on to the service; an abort
answers with the status at once, as if the service had (the body says it was
injected, so nobody debugs a fault they asked for).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from reelstack.gateway.models import Fault
from reelstack.gateway.settings import FaultSpec, parse_fault_spec

__all__ = ["NO_FAULT", "FaultInjector", "FaultSpec", "parse_fault_spec"]


class FaultInjector:
    """Decides the fault for a request from its header and the route rules."""

    __slots__ = ("header_enabled", "random", "rules")

    def __init__(
        self,
        *,
        header_enabled: bool = False,
        rules: tuple[tuple[str, FaultSpec], ...] = (),
        random_fn: Callable[[], float] = random.random,
    ) -> None:
        self.header_enabled = header_enabled
        self.rules = dict(rules)
        self.random = random_fn

    @property
    def active(self) -> bool:
        """Whether any fault can be injected at all (the filter is skipped otherwise)."""
        return self.header_enabled or bool(self.rules)

    def decide(self, route_prefix: str | None, header: bytes | None) -> Fault:
        """Return the fault for a request; raise ValueError for a bad header."""
        if header is not None and self.header_enabled:
            spec = parse_fault_spec(header.decode("latin-1"))
            if spec.percent >= 100.0 or self.random() * 100.0 < spec.percent:
                return Fault(spec.delay_s, spec.abort_status, "header")
        if route_prefix is not None:
            rule = self.rules.get(route_prefix)
            if rule is not None and (rule.percent >= 100.0 or self.random() * 100.0 < rule.percent):
                return Fault(rule.delay_s, rule.abort_status, "route")
        return NO_FAULT


NO_FAULT = Fault(0.0, None, "none")
