"""API shapes of the playback service (the shared contract's names)."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from reelstack.playback.models import Device, Play
from reelstack.playback.service import PlayStarted

ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
PLAY_ID_PATTERN = r"^[0-9a-f]{32}$"
MAX_BODY_BYTES = 4096


def _iso(epoch_s: float) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


class DeviceIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$")
    name: str = Field(min_length=1, max_length=100)
    codecs: list[str] | None = Field(default=None, max_length=16)
    max_height: int | None = Field(default=None, ge=16, le=8640)

    def device(self) -> Device:
        """The domain view: codec families lower-cased (``avc1``, ``hvc1``, ``av01``)."""
        codecs = None
        if self.codecs is not None:
            codecs = frozenset(c.strip().lower().split(".", 1)[0] for c in self.codecs)
        return Device(id=self.id, name=self.name, codecs=codecs, max_height=self.max_height)


class PlayIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title_id: str = Field(pattern=ID_PATTERN)
    device: DeviceIn


class Markers(BaseModel):
    start_s: float
    end_s: float


class EdgeOut(BaseModel):
    """An edge a play's manifest names: the player's fallbacks, in order."""

    instance: str
    region: str
    url: str


class PlayOut(BaseModel):
    play_id: str
    lease_expires_at: datetime
    heartbeat_s: int
    manifest_url: str
    dash_url: str | None
    resume_s: float
    intro: Markers | None
    credits_start_s: float | None
    next_episode_id: str | None
    edges: list[EdgeOut]

    @classmethod
    def of(cls, started: PlayStarted, *, heartbeat_s: float) -> PlayOut:
        """The API view of a started play."""
        intro = started.intro
        return cls(
            play_id=started.play.id,
            lease_expires_at=_iso(started.play.expires_at),
            heartbeat_s=round(heartbeat_s),
            manifest_url=started.manifest_url,
            dash_url=started.dash_url,
            resume_s=started.resume_s,
            intro=None if intro is None else Markers(start_s=intro[0], end_s=intro[1]),
            credits_start_s=started.credits_start_s,
            next_episode_id=started.next_episode_id,
            edges=[EdgeOut(instance=e.instance, region=e.region, url=e.url) for e in started.edges],
        )


class LeaseOut(BaseModel):
    play_id: str
    lease_expires_at: datetime

    @classmethod
    def of(cls, play: Play) -> LeaseOut:
        """The API view of a play's lease."""
        return cls(play_id=play.id, lease_expires_at=_iso(play.expires_at))


class DeviceOut(BaseModel):
    device_id: str
    name: str
    title_id: str
    since: datetime

    @classmethod
    def of(cls, play: Play) -> DeviceOut:
        """A device holding one of the account's streams."""
        return cls(
            device_id=play.device_id,
            name=play.device_name,
            title_id=play.title_id,
            since=_iso(play.started_at),
        )


class ActiveDeviceOut(DeviceOut):
    """A device streaming for the account now, and for which of its profiles."""

    profile_id: str

    @classmethod
    def of(cls, play: Play) -> ActiveDeviceOut:
        """An account's live play, as its account page lists it."""
        return cls(
            device_id=play.device_id,
            name=play.device_name,
            title_id=play.title_id,
            since=_iso(play.started_at),
            profile_id=play.profile,
        )


class ActiveDevicesOut(BaseModel):
    items: list[ActiveDeviceOut]
