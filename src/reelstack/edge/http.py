"""The serving path's HTTP/1.1 pieces that need no I/O: request heads, ranges, validators.

Kept pure so each rule (what a malformed head is, which range is honoured,
when a 304 is due) is tested without a socket; :mod:`reelstack.edge.server`
does the I/O.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from urllib.parse import unquote

CONTENT_TYPES = {
    ".m3u8": b"application/vnd.apple.mpegurl",
    ".mpd": b"application/dash+xml",
    ".m4s": b"video/iso.segment",
    ".mp4": b"video/mp4",
    ".m4a": b"audio/mp4",
    ".ts": b"video/mp2t",
    ".vtt": b"text/vtt",
    ".jpg": b"image/jpeg",
    ".png": b"image/png",
    ".webp": b"image/webp",
}
"""What the edge serves, by suffix: what media publishes (no keys, no uploads)."""

# Playlists and subtitles change when a title is published again; a segment
# or picture at a given path never does (a new encode is a new job folder).
SHORT_LIVED = (".m3u8", ".mpd", ".vtt")
CACHE_SHORT = b"public, max-age=2"
CACHE_IMMUTABLE = b"public, max-age=31536000, immutable"

REASONS = {
    200: b"OK",
    206: b"Partial Content",
    304: b"Not Modified",
    400: b"Bad Request",
    403: b"Forbidden",
    404: b"Not Found",
    405: b"Method Not Allowed",
    408: b"Request Timeout",
    410: b"Gone",
    416: b"Range Not Satisfiable",
    431: b"Request Header Fields Too Large",
    502: b"Bad Gateway",
    503: b"Service Unavailable",
    505: b"HTTP Version Not Supported",
}


class BadRequest(Exception):
    """A request the edge refuses before looking at its path's meaning: status and reason."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(slots=True)
class Request:
    """One parsed request head."""

    method: str
    path: str
    query: str
    version: str
    headers: dict[str, str]

    @property
    def keep_alive(self) -> bool:
        """Whether the client lets the connection stay open after this request."""
        connection = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in connection
        return "close" not in connection


def parse_head(raw: bytes) -> Request:
    """Parse a request head (request line and headers, ending in a blank line).

    Refuses, as RFC 9112 asks of a server that must not be confused about
    framing: bare LF or CR, obsolete line folding, a body (GET and HEAD carry
    none here, so ``Content-Length`` other than 0 or ``Transfer-Encoding`` is
    a request smuggled past someone), a duplicate ``Host`` or ``Range``.
    """
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes every byte
        raise BadRequest(400, "undecodable head") from exc
    lines = text.split("\r\n")
    if lines[-2:] != ["", ""]:
        raise BadRequest(400, "the head does not end in an empty line")
    lines = lines[:-2]
    if any("\n" in line or "\r" in line or "\0" in line for line in lines):
        raise BadRequest(400, "bare CR, LF or NUL in the head")
    parts = lines[0].split(" ") if lines else []
    if len(parts) != 3:
        raise BadRequest(400, "malformed request line")
    method, target, version = parts
    if version not in ("HTTP/1.1", "HTTP/1.0"):
        raise BadRequest(505, "only HTTP/1.1 and HTTP/1.0 are served")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line[:1] in (" ", "\t"):
            raise BadRequest(400, "obsolete line folding")
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or not name.isascii():
            raise BadRequest(400, "malformed header line")
        name = name.lower()
        if name in headers and name in ("host", "range", "content-length"):
            raise BadRequest(400, f"more than one {name} header")
        headers[name] = value.strip(" \t")
    if "transfer-encoding" in headers or headers.get("content-length", "0") != "0":
        raise BadRequest(400, "a request body is not accepted here")
    if not target.startswith("/"):
        raise BadRequest(400, "the target must be a path")
    path, _, query = target.partition("?")
    return Request(method=method, path=path, query=query, version=version, headers=headers)


def clean_path(raw: str) -> str:
    """Return the decoded path, or BadRequest(400) for traversal, encoded too.

    A segment that is or decodes to ``.`` or ``..``, an encoded ``/`` or
    ``\\`` (a segment that would split differently after decoding), a
    backslash, NUL or control character: none of these is ever in a path
    playback signs, so all are refused before the token or the origin is
    looked at.
    """
    lowered = raw.lower()
    if "%2f" in lowered or "%5c" in lowered or "\\" in raw:
        raise BadRequest(400, "encoded slash or backslash in the path")
    decoded = unquote(raw, errors="strict")
    if not decoded.isprintable():
        raise BadRequest(400, "control character in the path")
    segments = decoded.split("/")[1:]
    if any(segment in (".", "..") for segment in segments) or "//" in decoded:
        raise BadRequest(400, "'.', '..' or empty segment in the path")
    return decoded


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """Return the inclusive byte range ``header`` asks of a ``size``-byte file, or None for all.

    One range is honoured (``a-b``, ``a-``, ``-n``). Several ranges answer
    the whole file (None): RFC 9110 14.2 lets a server ignore Range, a
    player asks for one, and a multipart answer is work an attacker could
    multiply by asking for many overlapping ranges. A malformed or
    unsatisfiable range raises ValueError (416).
    """
    if header is None:
        return None
    unit, eq, spec = header.partition("=")
    if not eq or unit.strip().lower() != "bytes":
        raise ValueError("not a bytes range")
    if "," in spec:
        return None
    first_raw, dash, last_raw = spec.strip().partition("-")
    if not dash or not (first_raw.isdigit() or last_raw.isdigit()):
        raise ValueError("malformed range")
    if (first_raw and not first_raw.isdigit()) or (last_raw and not last_raw.isdigit()):
        raise ValueError("malformed range")
    if not first_raw:
        suffix = int(last_raw)
        if suffix == 0 or size == 0:
            raise ValueError("unsatisfiable range")
        return max(size - suffix, 0), size - 1
    first = int(first_raw)
    last = min(int(last_raw), size - 1) if last_raw else size - 1
    if first >= size or last < first:
        raise ValueError("unsatisfiable range")
    return first, last


def etag_for(size: int, modified: float) -> str:
    """Return the strong validator of a file: nginx's ``"mtime-size"`` in hex.

    Every edge sets a cached file's time to the origin's, so edges holding
    the same object give the same ETag: a player moving between edges
    revalidates instead of downloading again.
    """
    return f'"{int(modified):x}-{size:x}"'


def http_date(epoch: float) -> str:
    """Return ``epoch`` as an IMF-fixdate (``Last-Modified``, ``Date``)."""
    return formatdate(epoch, usegmt=True)


def not_modified(headers: dict[str, str], etag: str, modified: float) -> bool:
    """Whether the request's validators match (RFC 9110 13.2.2: If-None-Match wins)."""
    match = headers.get("if-none-match")
    if match is not None:
        tags = [tag.strip().removeprefix("W/") for tag in match.split(",")]
        return "*" in tags or etag in tags
    since = headers.get("if-modified-since")
    if since is None:
        return False
    try:
        when = parsedate_to_datetime(since).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return False  # RFC 9110 13.1.3: an invalid date is ignored
    return int(modified) <= when


def range_applies(headers: dict[str, str], etag: str) -> bool:
    """Whether Range is honoured: no ``If-Range``, or one naming this file's ETag."""
    condition = headers.get("if-range")
    return condition is None or condition.strip() == etag


def cmcd(query: str, headers: dict[str, str]) -> dict[str, str]:
    """Return the CMCD keys (CTA-5004) of a request: the ``CMCD`` query argument or headers.

    Values are kept as sent (strings, tokens, numbers); a key without a
    value is a true boolean. At most 64 keys, each value at most 200
    characters: the log line stays small whatever a client sends.
    """
    pieces: list[str] = []
    for argument in query.split("&") if query else ():
        name, _, value = argument.partition("=")
        if name == "CMCD":
            pieces.append(unquote(value))
    for name in ("cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session"):
        if name in headers:
            pieces.append(headers[name])
    keys: dict[str, str] = {}
    for piece in pieces:
        for pair in piece.split(","):
            key, eq, value = pair.strip().partition("=")
            if key and len(keys) < 64:
                keys[key[:20]] = value[:200] if eq else "true"
    return keys


class DateHeader:
    """The ``Date`` header value, formatted once a second (not per response)."""

    def __init__(self) -> None:
        self._second = -1
        self._value = b""

    def value(self) -> bytes:
        """Return the current date as bytes."""
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._value = http_date(now).encode()
        return self._value


def error_head(status: int, text: str, *, close: bool, date: bytes) -> bytes:
    """Return a whole small error response (``Cache-Control: no-store``)."""
    body = (text + "\n").encode("ascii", "replace")
    return b"".join(
        (
            b"HTTP/1.1 %d %s\r\n" % (status, REASONS.get(status, b"Error")),
            b"Date: " + date + b"\r\n",
            b"Content-Type: text/plain; charset=utf-8\r\n",
            b"Content-Length: %d\r\n" % len(body),
            b"Cache-Control: no-store\r\n",
            b"Access-Control-Allow-Origin: *\r\n",
            b"Connection: close\r\n" if close else b"",
            b"\r\n",
            body,
        )
    )
