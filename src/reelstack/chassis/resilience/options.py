"""The resilient client's settings: global ones from config, overrides per service.

Every ``client.*`` setting is a runtime property. The client turns the current
values into one :class:`ClientOptions` and pushes it into each layer's plain
attributes when a value changes (``Config.on_change``), so the call path reads
attributes and never looks a setting up.

Per-service overrides are given in code, as a map from service name to the
fields that differ (:class:`Overrides`); they apply on top of the global
values, and a runtime change of a global value reaches every service that
does not override that field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any, TypedDict

from reelstack import settings
from reelstack.config import Config, Setting


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Every knob of the resilient client, for one target service."""

    timeout_s: float = 2.0
    connect_timeout_s: float = 1.0
    retries: int = 1
    retry_budget_ratio: float = 0.2
    retry_budget_min_per_s: float = 10.0
    error_threshold_pct: float = 50.0
    request_volume: int = 20
    window_s: float = 10.0
    sleep_window_s: float = 5.0
    max_concurrent: int = 100
    availability_failures: int = 3
    skip_s: float = 30.0
    max_skip_s: float = 300.0

    @classmethod
    def from_config(cls, config: Config) -> ClientOptions:
        """Return the current global values of the ``client.*`` settings."""
        return cls(**{name: config.get(setting) for name, setting in SETTINGS.items()})

    def with_overrides(self, overrides: Overrides | None) -> ClientOptions:
        """Return these options with ``overrides`` applied."""
        return replace(self, **overrides) if overrides else self


class Overrides(TypedDict, total=False):
    """Fields of :class:`ClientOptions` that one service sets differently."""

    timeout_s: float
    connect_timeout_s: float
    retries: int
    retry_budget_ratio: float
    retry_budget_min_per_s: float
    error_threshold_pct: float
    request_volume: int
    window_s: float
    sleep_window_s: float
    max_concurrent: int
    availability_failures: int
    skip_s: float
    max_skip_s: float


# Field of ClientOptions -> the setting it comes from.
SETTINGS: dict[str, Setting[Any]] = {
    "timeout_s": settings.CLIENT_TIMEOUT_S,
    "connect_timeout_s": settings.CLIENT_CONNECT_TIMEOUT_S,
    "retries": settings.CLIENT_RETRIES,
    "retry_budget_ratio": settings.CLIENT_RETRY_BUDGET_RATIO,
    "retry_budget_min_per_s": settings.CLIENT_RETRY_BUDGET_MIN_PER_S,
    "error_threshold_pct": settings.CLIENT_BREAKER_ERROR_THRESHOLD_PCT,
    "request_volume": settings.CLIENT_BREAKER_REQUEST_VOLUME,
    "window_s": settings.CLIENT_BREAKER_WINDOW_S,
    "sleep_window_s": settings.CLIENT_BREAKER_SLEEP_WINDOW_S,
    "max_concurrent": settings.CLIENT_BULKHEAD_MAX_CONCURRENT,
    "availability_failures": settings.CLIENT_AVAILABILITY_FAILURES,
    "skip_s": settings.CLIENT_AVAILABILITY_SKIP_S,
    "max_skip_s": settings.CLIENT_AVAILABILITY_MAX_SKIP_S,
}
SETTING_KEYS = frozenset(setting.key for setting in SETTINGS.values())

assert set(SETTINGS) == {f.name for f in fields(ClientOptions)} == set(Overrides.__annotations__)


def check_overrides(overrides: Mapping[str, Overrides]) -> None:
    """Raise ValueError naming the service and field of an unknown override."""
    known = set(SETTINGS)
    for service, values in overrides.items():
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(
                f"unknown client override(s) for service {service!r}: {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}"
            )
