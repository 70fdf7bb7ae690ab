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
from functools import cache
from typing import Any, TypedDict

from reelstack import settings
from reelstack.config import Config, group_defaults, read_group


@dataclass(frozen=True, slots=True)
class ClientOptions:
    """Every knob of the resilient client, for one target service."""

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

    @classmethod
    def defaults(cls, **changes: Any) -> ClientOptions:
        """Return the settings' default values, with ``changes`` (tests, benchmarks)."""
        return replace(_defaults(), **changes)

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


SETTINGS = settings.CLIENT
SETTING_KEYS = frozenset(setting.key for setting in SETTINGS.values())

assert set(SETTINGS) == {f.name for f in fields(ClientOptions)} == set(Overrides.__annotations__)


def current(config: Config) -> ClientOptions:
    """Return the current global values of the ``client.*`` settings."""
    return read_group(config, ClientOptions, settings.CLIENT)


@cache
def _defaults() -> ClientOptions:
    return group_defaults(settings.REGISTRY, ClientOptions, settings.CLIENT)


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
