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
from dataclasses import dataclass

from reelstack.gateway.models import Fault

MAX_DELAY_S = 60.0


@dataclass(frozen=True, slots=True)
class FaultSpec:
    """A parsed fault: delay, abort status, and the share of requests it applies to."""

    delay_s: float = 0.0
    abort_status: int | None = None
    percent: float = 100.0


def _parse_delay(raw: str) -> float:
    text = raw.strip().lower()
    if text.endswith("ms"):
        value = float(text[:-2]) / 1000.0
    elif text.endswith("s"):
        value = float(text[:-1])
    else:
        value = float(text) / 1000.0  # a bare number is milliseconds
    if not 0.0 <= value <= MAX_DELAY_S:
        raise ValueError(f"delay {raw!r} must be between 0 and {MAX_DELAY_S:g} s")
    return value


def parse_fault_spec(text: str) -> FaultSpec:
    """Parse ``delay=200ms,abort=503,pct=10``; raise ValueError if it is not that."""
    delay = 0.0
    abort: int | None = None
    percent = 100.0
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not name and not sep:
            continue
        try:
            if name == "delay":
                delay = _parse_delay(value)
            elif name == "abort":
                abort = int(value)
                if not 400 <= abort <= 599:
                    raise ValueError(f"abort status {abort} must be 400-599")
            elif name == "pct":
                percent = float(value)
                if not 0.0 <= percent <= 100.0:
                    raise ValueError(f"pct {percent:g} must be 0-100")
            else:
                raise ValueError(f"unknown fault {name!r} (known: delay=, abort=, pct=)")
        except ValueError as exc:
            raise ValueError(f"fault {text!r}: {exc}") from None
    if delay == 0.0 and abort is None:
        raise ValueError(f"fault {text!r}: names neither delay= nor abort=")
    return FaultSpec(delay, abort, percent)


def parse_route_faults(raw: str) -> tuple[tuple[str, FaultSpec], ...]:
    """Parse the ``gateway.faults.routes`` setting: ``PREFIX:SPEC`` entries, ``;``-separated."""
    rules: list[tuple[str, FaultSpec]] = []
    for entry in raw.split(";"):
        if not entry.strip():
            continue
        prefix, sep, spec = entry.partition(":")
        prefix = prefix.strip().rstrip("/") or "/"
        if not sep or not prefix.startswith("/"):
            raise ValueError(f"route fault {entry!r}: expected PREFIX:delay=...,abort=...")
        rules.append((prefix, parse_fault_spec(spec)))
    return tuple(rules)


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
