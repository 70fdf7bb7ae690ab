"""What every media use case works with: settings, ports, the upload folder, the encoder.

Also the blob-key layout of the service: sources and fingerprints under
``private/`` (never served), everything a player fetches under
``media.output_prefix`` (served at ``/media/...``), next to what the encoding
pipeline publishes there.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from fastapi import Depends

from reelstack.chassis.route_deps import context_dep
from reelstack.config import Config, read_group
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg.binaries import Binaries, find_binaries
from reelstack.media.ingest.uploads import UploadStore
from reelstack.media.pipeline import settings as pipeline_settings
from reelstack.media.pipeline.encoder import Encoder
from reelstack.media.source.refusals import Refusals
from reelstack.media.source.validate import MediaLimits
from reelstack.ports import BlobStore, Database, EventLog
from reelstack.signed_urls import UrlSigner, signer_for

URL_PREFIX = "/media"

log = logging.getLogger(__name__)


@dataclass
class MediaContext:
    """The media service's settings, ports and helpers, for one process."""

    config: Config
    db: Database
    blob: BlobStore
    uploads: UploadStore
    encoder: Encoder
    owner: str
    """Who claims titles for processing: this instance's id."""
    limits: MediaLimits
    work_dir: Path
    signer: UrlSigner
    """Verifies the tokens of ``/media/s/TOKEN/...`` (playback signs with the same key)."""
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    titles_log: EventLog | None = None
    """Where titles are announced to the catalog (None: not announced)."""
    refusals: Refusals = field(default_factory=Refusals)
    """What was refused and why, counted for ``/metrics``."""
    _binaries: Binaries | None = None

    @classmethod
    def build(
        cls,
        config: Config,
        *,
        db: Database,
        blob: BlobStore,
        encoder: Encoder,
        owner: str,
        titles_log: EventLog | None = None,
    ) -> MediaContext:
        """Assemble the context from settings and opened ports."""
        return cls(
            config=config,
            db=db,
            blob=blob,
            uploads=UploadStore(
                Path(config.get(media_settings.MEDIA_UPLOAD_DIR)),
                expiry_s=config.get(media_settings.MEDIA_UPLOAD_EXPIRY_S),
            ),
            encoder=encoder,
            owner=owner,
            limits=read_group(config, MediaLimits, media_settings.LIMITS),
            work_dir=Path(config.get(pipeline_settings.MEDIA_WORK_DIR)) / "ingest",
            signer=signer_for(config),
            titles_log=titles_log,
        )

    @property
    def binaries(self) -> Binaries:
        """ffmpeg and ffprobe (found once; FfmpegMissingError if absent)."""
        if self._binaries is None:
            self._binaries = find_binaries(
                self.config.get(media_settings.MEDIA_FFMPEG),
                self.config.get(media_settings.MEDIA_FFPROBE),
            )
        return self._binaries

    @property
    def output_prefix(self) -> str:
        prefix: str = self.config.get(pipeline_settings.MEDIA_OUTPUT_PREFIX)
        return prefix

    def public_key(self, title_id: str, relative: str) -> str:
        """Blob key of a file players fetch for this title."""
        return f"{self.output_prefix}/{title_id}/{relative}"

    def url_for(self, key: str | None) -> str | None:
        """The path a published blob is served at (through the gateway too)."""
        if key is None:
            return None
        prefix = self.output_prefix + "/"
        if not key.startswith(prefix):
            # Published under another media.output_prefix: not served from here.
            log.warning("blob %r is outside %s and cannot be served", key, prefix)
            return None
        return f"{URL_PREFIX}/{key[len(prefix) :]}"

    def key_for(self, path: str) -> str:
        """The blob key served at ``/media/PATH``."""
        return f"{self.output_prefix}/{path}"


def source_key(title_id: str) -> str:
    """Blob key of a title's uploaded source, kept for re-encoding and inspection."""
    return f"private/sources/{title_id}/source"


def fingerprint_key(title_id: str) -> str:
    """Blob key of an episode's audio fingerprints."""
    return f"private/fingerprints/{title_id}.json"


MediaDep = Annotated[MediaContext, Depends(context_dep(MediaContext))]
