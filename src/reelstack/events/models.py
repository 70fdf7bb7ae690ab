"""The events service's domain types. No I/O."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BatchLimits:
    """How large one POST may be (values from :data:`reelstack.events.settings.LIMITS`)."""

    max_batch: int
    max_body_bytes: int


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent a batch, as the gateway named them (never as the client claims)."""

    account: str
    profile: str


@dataclass(frozen=True, slots=True)
class Rejection:
    """Why one event of a batch was refused.

    ``code`` is one of :data:`reelstack.events.schemas.REASONS` (the metric's
    label, a closed set); ``detail`` says which field and what was wrong.
    """

    index: int
    code: str
    detail: str
