"""What every playback use case works with: the store, the signer, the other services."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends

from reelstack import settings
from reelstack.chassis.discovery import Discovery
from reelstack.chassis.route_deps import context_dep
from reelstack.config import Config
from reelstack.playback import settings as s
from reelstack.playback.steering import Weights
from reelstack.playback.upstream import Upstreams
from reelstack.ports import BlobStore, Database, EventLog
from reelstack.signed_urls import UrlSigner

KEY_PREFIX_SETTING = "media.key_prefix"
"""Media's setting naming where content keys are kept (read by key: no media import)."""
KEY_NAME = "aes128.key"
"""The file name of a title's key under that prefix (media's layout)."""


@dataclass(frozen=True)
class Lifetimes:
    """Seconds: a lease without heartbeat, between heartbeats, of a play's signed URLs."""

    lease_s: float
    heartbeat_s: float
    url_ttl_s: float
    keep_s: float

    @classmethod
    def from_config(cls, config: Config) -> Lifetimes:
        """Read the ``playback.*`` settings."""
        return cls(
            lease_s=config.get(s.PLAYBACK_LEASE_S),
            heartbeat_s=config.get(s.PLAYBACK_HEARTBEAT_S),
            url_ttl_s=config.get(settings.PLAY_URL_TTL_S),
            keep_s=config.get(s.PLAYBACK_KEEP_S),
        )


@dataclass
class PlaybackContext:
    """The playback service's ports and helpers, for one process."""

    db: Database
    blob: BlobStore
    signer: UrlSigner
    upstreams: Upstreams
    times: Lifetimes
    key_prefix: str
    log: EventLog | None = None
    """The event log plays are announced on (None: not announced, as in unit tests)."""
    plays_topic: str = "playback.plays"
    announce_s: float = 1.0
    clock: Callable[[], float] = field(default=time.time)
    discovery: Discovery | None = None
    """Where the edges are (the registry's local copy); None: every play through the gateway."""
    steering: Weights = field(default_factory=Weights)

    def key_blob(self, title_id: str) -> str:
        """Blob key of a title's AES-128 key, where media's pipeline keeps it."""
        return f"{self.key_prefix}/{title_id}/{KEY_NAME}"


def steering_weights(config: Config) -> Weights:
    """Read the ``playback.edge_*`` settings."""
    weights: dict[str, float] = config.get(s.PLAYBACK_EDGE_WEIGHTS)
    # Only the weights named: the others keep the dataclass' defaults.
    return Weights(
        **weights,
        max_edges=config.get(s.PLAYBACK_EDGE_MAX),
        stale_s=config.get(s.PLAYBACK_EDGE_STALE_S),
    )


PlaybackDep = Annotated[PlaybackContext, Depends(context_dep(PlaybackContext))]
