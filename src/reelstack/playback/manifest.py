"""A play's master playlist: media's, with the variants this plan and device may play, signed.

Pure text work over the multivariant playlist media published (RFC 8216):
the variants (``#EXT-X-STREAM-INF`` and the URI after it) whose picture is
taller than the plan or the device allows, or whose video codec the device
does not decode, are dropped; every URI left (variants, audio and subtitle
renditions) becomes an absolute signed URL whose token covers that
rendition's folder, so the relative segment URIs in its media playlist keep
the token. Filtering reads the playlist's own RESOLUTION and CODECS, which
media measured from the files, so the playlist and the filter cannot
disagree about a rung.

With edges (``bases``, best first, from steering), the playlist is written
once per edge: every variant again on the next edge, with the same
attributes, so a player treats them as redundant variant streams (RFC 8216
section 6.3.1 of the server's duties, Apple's "backup streams") and moves to
the next edge when one fails. The audio and subtitle renditions of each edge
after the first get their own group ids (``audio`` -> ``audio-e1``) and that
edge's URLs, so a failover moves them too. No bases: relative URLs on the
gateway's ``/media/s`` as before.
"""

from __future__ import annotations

import posixpath
import re

from reelstack.playback.models import Device, PlanLimits
from reelstack.signed_urls import UrlSigner

VIDEO_FAMILIES = frozenset({"avc1", "avc3", "hvc1", "hev1", "av01", "vp09"})
# Either sample entry of a codec decodes with the same decoder.
_SAME = {"avc3": "avc1", "hev1": "hvc1"}
_ATTRIBUTE = re.compile(r'([A-Z0-9-]+)=("[^"]*"|[^,]*)')
_URI_ATTRIBUTE = re.compile(r'URI="([^"]*)"')
_GROUP_ATTRIBUTE = re.compile(r'\b(GROUP-ID|AUDIO|SUBTITLES|VIDEO|CLOSED-CAPTIONS)="([^"]*)"')
GATEWAY: tuple[str, ...] = ("",)
"""The one base of a play served through the gateway: relative ``/media/s/...`` URLs."""


class NoRenditionError(Exception):
    """No variant of the title fits both the plan and the device."""


def family(codec: str) -> str:
    """The codec family of an RFC 6381 codec string (``avc1.64001f`` -> ``avc1``)."""
    name = codec.strip().split(".", 1)[0].lower()
    return _SAME.get(name, name)


def attributes(line: str) -> dict[str, str]:
    """The attributes of a tag line, quotes removed."""
    _, _, listed = line.partition(":")
    return {key: value.strip('"') for key, value in _ATTRIBUTE.findall(listed)}


def allowed(attrs: dict[str, str], *, plan: PlanLimits, device: Device) -> bool:
    """Whether a variant with these attributes is within the plan and plays on the device."""
    limits = [h for h in (plan.max_height, device.max_height) if h is not None]
    width, _, height = attrs.get("RESOLUTION", "").partition("x")
    # The short side names the resolution ("720p"), portrait or landscape.
    sized = limits and width.isdigit() and height.isdigit()
    if sized and min(int(width), int(height)) > min(limits):
        return False
    if device.codecs is not None:
        wanted = {_SAME.get(c, c) for c in device.codecs}
        videos = {family(c) for c in attrs.get("CODECS", "").split(",")} & VIDEO_FAMILIES
        if not videos <= wanted:
            return False
    return True


def filtered_master(
    text: str,
    *,
    folder: str,
    plan: PlanLimits,
    device: Device,
    signer: UrlSigner,
    expires: int,
    bases: tuple[str, ...] = GATEWAY,
) -> str:
    """Return the master playlist ``text`` (published in ``folder``) for this plan and device.

    Each kept variant and rendition is listed once per base URL of
    ``bases`` (edges, best first), with the same signed path. NoRenditionError
    when no variant is left. A URI that leaves ``folder`` (absolute, with a
    scheme or ``..``) is not media's layout: its line is dropped rather than
    signed.
    """
    header: list[str] = []
    # (text before the URI, the signed URI or None, text after it)
    renditions: list[tuple[str, str | None, str]] = []
    variants: list[tuple[str, str]] = []
    lines = [line.rstrip("\r") for line in text.splitlines()]
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if line.startswith("#EXT-X-STREAM-INF:"):
            uri = lines[index] if index < len(lines) else ""
            index += 1
            signed = _signed(uri, folder=folder, signer=signer, expires=expires)
            if signed is None or not allowed(attributes(line), plan=plan, device=device):
                continue
            variants.append((line, signed))
        elif line.startswith("#EXT-X-MEDIA:") and (match := _URI_ATTRIBUTE.search(line)):
            signed = _signed(match.group(1), folder=folder, signer=signer, expires=expires)
            if signed is not None:
                renditions.append((line[: match.start(1)], signed, line[match.end(1) :]))
        elif line.startswith("#EXT-X-MEDIA:"):
            # A rendition carried in the variants (no URI of its own).
            renditions.append((line, None, ""))
        elif line.startswith("#") or not line.strip():
            header.append(line)
        # A bare URI outside a variant is not something media writes: dropped.
    if not variants:
        raise NoRenditionError("no rendition of this title plays on this device within the plan")
    out = [line for line in header if line.strip()]
    for rank, base in enumerate(bases):
        for before, signed, after in renditions:
            uri = "" if signed is None else base + signed
            out.append(_regroup(before + uri + after, rank))
    for rank, base in enumerate(bases):
        for line, signed in variants:
            out += [_regroup(line, rank), base + signed]
    return "\n".join(out) + "\n"


def _regroup(line: str, rank: int) -> str:
    """The line with its group ids made the edge's own (the first edge keeps media's)."""
    if rank == 0:
        return line
    return _GROUP_ATTRIBUTE.sub(lambda m: f'{m.group(1)}="{m.group(2)}-e{rank}"', line)


def _signed(uri: str, *, folder: str, signer: UrlSigner, expires: int) -> str | None:
    uri = uri.strip()
    if not uri or uri.startswith("/") or ":" in uri or ".." in uri.split("/"):
        return None
    directory, name = posixpath.split(uri)
    prefix = f"{folder}/{directory}" if directory else folder
    return signer.url(prefix, name, expires=expires)


def first_variant(text: str) -> str | None:
    """Return the URI of the master playlist's first variant (relative, as media writes it)."""
    lines = [line.strip() for line in text.splitlines()]
    for index, line in enumerate(lines[:-1]):
        if line.startswith("#EXT-X-STREAM-INF:") and lines[index + 1]:
            return lines[index + 1]
    return None


def key_uri(media_playlist: str) -> str | None:
    """Return the URI of a media playlist's AES-128 key (None: its segments are clear)."""
    for line in media_playlist.splitlines():
        if line.startswith("#EXT-X-KEY:"):
            attrs = attributes(line)
            if attrs.get("METHOD", "NONE") != "NONE":
                return attrs.get("URI", "")
    return None


def key_on_any_host(uri: str | None) -> bool:
    """Whether a player fetching ``uri`` from a playlist on an edge reaches playback for it.

    A clear title has no key; an absolute URL names its host; a path
    (media's default, ``/api/playback/keys/ID``) resolves against the edge
    serving the playlist, which holds no keys.
    """
    return uri is None or uri.lower().startswith(("https://", "http://"))
