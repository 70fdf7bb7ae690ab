"""Tell what a file is from its first bytes, whatever its name says.

ffmpeg picks a demuxer from a file's contents, so an ``upload.mp4`` holding an
HLS playlist or a concat list makes it open whatever the list names. The
pipeline therefore decides the container itself, here, from magic bytes, and
forces ffmpeg's demuxer to match: only ISO-BMFF/QuickTime (``ftyp`` box) and
Matroska/WebM (EBML header) are recognised as video containers. Everything
else gets a name (playlist, image, text, ...) so a refusal can say what it saw.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from reelstack.media.ffmpeg.options import Container

SNIFF_BYTES = 4096

# ISO-BMFF brands of still-image files (HEIF, AVIF): the mov demuxer reads
# them, but they are pictures, not programmes.
_IMAGE_BRANDS = frozenset(
    {b"avif", b"avis", b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
)
# Top-level boxes a QuickTime file written before 'ftyp' existed may start with.
_QUICKTIME_FIRST_BOXES = frozenset({b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"})

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image", "a PNG image"),
    (b"\xff\xd8\xff", "image", "a JPEG image"),
    (b"GIF87a", "image", "a GIF image"),
    (b"GIF89a", "image", "a GIF image"),
    (b"\x00\x00\x01\x00", "image", "an ICO image"),
    (b"II*\x00", "image", "a TIFF image"),
    (b"MM\x00*", "image", "a TIFF image"),
    (b"FLV\x01", "container", "an FLV file"),
    (b"OggS", "container", "an Ogg file"),
    (b"fLaC", "audio", "a FLAC audio file"),
    (b"ID3", "audio", "an MP3 audio file"),
    (b"\x00\x00\x01\xba", "container", "an MPEG program stream"),
    (b"0&\xb2u\x8ef\xcf\x11", "container", "an ASF/WMV file"),
    (b"%PDF", "document", "a PDF document"),
    (b"PK\x03\x04", "archive", "a ZIP archive"),
    (b"\x1f\x8b", "archive", "a gzip archive"),
    (b"\x7fELF", "executable", "an executable"),
)


@dataclass(frozen=True, slots=True)
class Sniffed:
    """What the first bytes say: a container to force, or what the file is instead."""

    container: Container | None
    kind: str
    """video, empty, playlist, image, text, audio, container, ... or unknown."""
    detail: str
    """Human words for the refusal or the log, e.g. ``an HLS playlist (#EXTM3U)``."""


def _looks_like_text(head: bytes) -> bool:
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError:
        # The sniff window may end inside a multi-byte character.
        try:
            text = head[:-3].decode("utf-8")
        except UnicodeDecodeError:
            return False
    return all(ch.isprintable() or ch in "\r\n\t\f\v" for ch in text)


def _ebml_doctype(head: bytes) -> str:
    # The EBML header's DocType element (ID 0x4282) names the flavour.
    at = head.find(b"\x42\x82", 4, 64)
    if at < 0 or at + 3 > len(head):
        return ""
    size_byte = head[at + 2]
    if not size_byte & 0x80:  # only one-byte sizes are used for DocType in practice
        return ""
    size = size_byte & 0x7F
    return head[at + 3 : at + 3 + size].decode("ascii", "replace")


def _sniff_isobmff(head: bytes) -> Sniffed | None:
    if len(head) < 12:
        return None
    size, box = struct.unpack(">I4s", head[:8])
    if box == b"ftyp":
        if size < 16 or size > 4096:
            return Sniffed(None, "unknown", "a damaged MP4 (impossible ftyp box)")
        brand = head[8:12]
        compatible = {head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)}
        if brand in _IMAGE_BRANDS or (compatible and compatible <= _IMAGE_BRANDS):
            return Sniffed(None, "image", f"a HEIF/AVIF image (brand {brand.decode('latin-1')})")
        return Sniffed(Container.MP4, "video", f"MP4/QuickTime (brand {brand.decode('latin-1')})")
    if box in _QUICKTIME_FIRST_BOXES and (size >= 8 or size in (0, 1)):
        return Sniffed(Container.MP4, "video", "QuickTime")
    return None


def sniff_bytes(head: bytes) -> Sniffed:
    """Classify a file from its first bytes (up to :data:`SNIFF_BYTES`)."""
    if not head:
        return Sniffed(None, "empty", "an empty file")
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        doctype = _ebml_doctype(head)
        if doctype not in ("matroska", "webm"):
            return Sniffed(None, "container", f"an EBML file of type {doctype or 'unknown'!r}")
        return Sniffed(Container.MATROSKA, "video", f"Matroska ({doctype})")
    found = _sniff_isobmff(head)
    if found is not None:
        return found
    for signature, kind, detail in _SIGNATURES:
        if head.startswith(signature):
            return Sniffed(None, kind, detail)
    if head[:4] == b"RIFF" and len(head) >= 12:
        form = head[8:12]
        names = {b"AVI ": "an AVI file", b"WAVE": "a WAV audio file", b"WEBP": "a WebP image"}
        kind = "image" if form == b"WEBP" else "container"
        return Sniffed(None, kind, names.get(form, "a RIFF file"))
    if len(head) > 188 and head[0] == 0x47 and head[188] == 0x47:
        return Sniffed(None, "container", "an MPEG transport stream")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"#EXTM3U", b"#EXT-X-")):
        return Sniffed(None, "playlist", "an HLS playlist (#EXTM3U)")
    if text.startswith(b"ffconcat"):
        return Sniffed(None, "playlist", "an ffconcat list")
    if text[:5].lower() in (b"<?xml", b"<mpd ", b"<smil") or text[:4].lower() == b"<mpd":
        return Sniffed(None, "playlist", "an XML document (a DASH manifest or playlist)")
    if text.startswith((b"[playlist]", b"#EXTINF")):
        return Sniffed(None, "playlist", "a playlist")
    if _looks_like_text(head):
        return Sniffed(None, "text", "a text file (a playlist or list of files, perhaps)")
    return Sniffed(None, "unknown", "not a recognised video container")


def sniff_file(path: Path) -> Sniffed:
    """Classify the file at ``path`` from its first bytes."""
    with path.open("rb") as handle:
        return sniff_bytes(handle.read(SNIFF_BYTES))
