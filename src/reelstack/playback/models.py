"""Domain types of playback: callers, devices, plans, plays (no I/O)."""

from __future__ import annotations

from dataclasses import dataclass

from reelstack.errors import ConflictError


@dataclass(frozen=True, slots=True)
class Caller:
    """Who asks, as the gateway's headers say: an account and one of its profiles.

    ``headers`` are the identity headers to forward to catalog, identity and
    history, so they judge the same caller (maturity, region) as we do.
    """

    account: str
    profile: str
    headers: dict[str, str]
    region: str | None = None
    """Where the gateway places the caller (``x-region``), kept with the play for popularity."""


@dataclass(frozen=True, slots=True)
class Device:
    """The device a play is for: its id and name (shown at the stream limit), what it decodes."""

    id: str
    name: str
    codecs: frozenset[str] | None = None
    """Codec families (``avc1``, ``hvc1``, ``av01``, ...); None: it plays whatever it gets."""
    max_height: int | None = None


@dataclass(frozen=True, slots=True)
class PlanLimits:
    """What the caller's plan allows: concurrent streams, tallest rendition (None: any)."""

    name: str
    max_streams: int
    max_height: int | None


@dataclass(frozen=True, slots=True)
class Play:
    """A play: whose, of what, on which device, and its lease (epoch seconds)."""

    id: str
    account: str
    profile: str
    title_id: str
    device_id: str
    device_name: str
    started_at: float
    expires_at: float
    ended_at: float | None = None
    region: str | None = None

    def live(self, now: float) -> bool:
        """Whether the play holds a stream slot at ``now``."""
        return self.ended_at is None and self.expires_at > now

    def owned_by(self, caller: Caller) -> bool:
        """Whether ``caller`` is this play's account and profile."""
        return self.account == caller.account and self.profile == caller.profile


@dataclass(frozen=True, slots=True)
class Playable:
    """What media published for a title: its master playlist's folder, markers, encryption."""

    title_id: str
    folder: str
    """The master playlist's folder under media's file route: ``TITLE/JOB``."""
    master_name: str
    intro: tuple[float, float] | None
    credits_start_s: float | None
    duration_s: float | None
    dash_name: str | None = None
    """The DASH MPD's name in ``folder`` (None: media published none, as for an encrypted title)."""


class StreamLimitError(ConflictError):
    """The account's plan allows no more streams; ``devices`` are the plays holding them."""

    def __init__(self, limit: int, devices: list[Play]) -> None:
        super().__init__(f"the plan allows {limit} stream(s) at once and all are in use")
        self.devices = devices
