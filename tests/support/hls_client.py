"""A test HLS client that follows redundant variant streams, as hls.js does.

It plays a master playlist the way a player whose edge dies must: it takes
the first variant, and the variants after it with the same ``BANDWIDTH``,
``RESOLUTION`` and ``CODECS`` as its redundant copies (RFC 8216 section
6.3.1's backup streams), in the playlist's order. It fetches the media
playlist, the init section (``EXT-X-MAP``) and every segment; when a fetch
fails (no answer, a closed connection, an HTTP error) it moves to the next
redundant copy, loads that copy's media playlist and continues at the same
media sequence number, so no segment is skipped or played twice. No copy
left: :class:`PlaybackFailed`. Keys (``EXT-X-KEY``) are not fetched: the
bytes are checked, not decoded.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_SAME = ("BANDWIDTH", "RESOLUTION", "CODECS")


class PlaybackFailed(Exception):
    """Every redundant copy of the variant failed."""


@dataclass(frozen=True)
class Variant:
    """One ``#EXT-X-STREAM-INF`` entry: its attributes and absolute URI."""

    attributes: dict[str, str]
    uri: str

    def same_stream(self, other: Variant) -> bool:
        """Whether ``other`` is a redundant copy of this variant."""
        return all(self.attributes.get(k) == other.attributes.get(k) for k in _SAME)


@dataclass
class MediaPlaylist:
    """A media playlist's first sequence number, init section and segment URIs (absolute)."""

    sequence: int
    init: str | None
    segments: list[str]


@dataclass
class Played:
    """What a play fetched: each segment's bytes and where from, and the failovers."""

    segments: list[bytes] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    """The ``scheme://host:port`` each segment came from, in order."""
    failovers: list[str] = field(default_factory=list)
    """Why each move to the next copy happened."""


def _attributes(line: str) -> dict[str, str]:
    _, _, listed = line.partition(":")
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(listed)}


def parse_master(text: str, base: str) -> list[Variant]:
    """Return the variants of a master playlist fetched from ``base``, in order."""
    lines = [line.strip() for line in text.splitlines()]
    variants = []
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-STREAM-INF:") and index + 1 < len(lines):
            variants.append(Variant(_attributes(line), urljoin(base, lines[index + 1])))
    return variants


def parse_media(text: str, base: str) -> MediaPlaylist:
    """Return a media playlist fetched from ``base``."""
    sequence, init, segments = 0, None, []
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines):
        if line.startswith("#EXT-X-MEDIA-SEQUENCE:"):
            sequence = int(line.partition(":")[2])
        elif line.startswith("#EXT-X-MAP:"):
            init = urljoin(base, _attributes(line)["URI"])
        elif line.startswith("#EXTINF:") and index + 1 < len(lines):
            segments.append(urljoin(base, lines[index + 1]))
    return MediaPlaylist(sequence, init, segments)


def origin(url: str) -> str:
    """``scheme://host:port`` of a URL."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class HlsClient:
    """Plays one master playlist's first variant, failing over between its redundant copies."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def _get(self, url: str) -> bytes:
        response = self.http.get(url)
        response.raise_for_status()
        return response.content

    def play(
        self,
        master_url: str,
        *,
        max_segments: int | None = None,
        after_segment: Callable[[int], None] | None = None,
    ) -> Played:
        """Fetch every segment of the first variant (or ``max_segments``); return them.

        ``after_segment(n)`` is called after the n-th segment (1-based)
        arrived: a test kills an edge there, mid-play.
        """
        text = self._get(master_url).decode()
        return self.play_master(
            text, master_url, max_segments=max_segments, after_segment=after_segment
        )

    def play_master(
        self,
        text: str,
        base: str,
        *,
        max_segments: int | None = None,
        after_segment: Callable[[int], None] | None = None,
    ) -> Played:
        """Play a master playlist's text as if fetched from ``base`` (see :meth:`play`)."""
        variants = parse_master(text, base)
        if not variants:
            raise PlaybackFailed("the master playlist lists no variant")
        copies = [v for v in variants if variants[0].same_stream(v)]
        played = Played()
        copy = 0
        playlist: MediaPlaylist | None = None
        number: int | None = None  # the next media sequence number to fetch
        while True:
            try:
                if playlist is None:
                    uri = copies[copy].uri
                    playlist = parse_media(self._get(uri).decode(), uri)
                    if number is None:
                        number = playlist.sequence
                    if playlist.init is not None:
                        self._get(playlist.init)
                assert number is not None
                index = number - playlist.sequence
                if index >= len(playlist.segments) or (
                    max_segments is not None and len(played.segments) >= max_segments
                ):
                    return played
                segment = playlist.segments[index]
                played.segments.append(self._get(segment))
                played.sources.append(origin(segment))
                number += 1
                if after_segment is not None:
                    after_segment(len(played.segments))
            except httpx.HTTPError as exc:
                copy += 1
                played.failovers.append(f"{type(exc).__name__}: {exc}")
                if copy >= len(copies):
                    raise PlaybackFailed(
                        f"every copy of the variant failed: {played.failovers}"
                    ) from exc
                playlist = None
