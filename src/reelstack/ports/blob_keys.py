"""The key and content-type rules every BlobStore adapter enforces.

Keys are ``/``-separated relative paths: no empty, ``.`` or ``..`` segment, no
leading ``/``, no backslash, NUL or other control character, at most 1024
bytes (S3's limit) with segments of at most 250 bytes (a file name, with room
for a suffix). The first segment ``.reelstack`` is reserved for the store.
"""

from __future__ import annotations

from reelstack.errors import InvalidRequestError

RESERVED = ".reelstack"
MAX_KEY_BYTES = 1024
# A sidecar adds ".json" to the last segment; stay under NAME_MAX (255).
MAX_SEGMENT_BYTES = 250


def check_key(key: str) -> str:
    """Return ``key`` if it is a safe relative ``/``-separated path; else InvalidRequestError."""
    if not isinstance(key, str) or not key:
        raise InvalidRequestError(f"blob key must be a non-empty str, got {key!r}")
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidRequestError(f"blob key {key[:60]!r}... is over {MAX_KEY_BYTES} bytes")
    bad = next((c for c in key if c == "\\" or ord(c) < 0x20 or ord(c) == 0x7F), None)
    if bad is not None:
        raise InvalidRequestError(f"blob key {key!r} holds {bad!r} (backslash or control)")
    if key.startswith("/"):
        raise InvalidRequestError(f"blob key {key!r} is absolute; keys are relative paths")
    segments = key.split("/")
    for segment in segments:
        if segment in ("", ".", ".."):
            raise InvalidRequestError(f"blob key {key!r} has an empty, '.' or '..' segment")
        if len(segment.encode("utf-8", "surrogatepass")) > MAX_SEGMENT_BYTES:
            raise InvalidRequestError(
                f"blob key {key!r} has a segment over {MAX_SEGMENT_BYTES} bytes"
            )
    if segments[0] == RESERVED:
        raise InvalidRequestError(f"blob key {key!r}: {RESERVED}/ is reserved for the store")
    return key


def check_prefix(prefix: str) -> str:
    """Return ``prefix`` if it could begin a valid key (or is empty)."""
    if not isinstance(prefix, str):
        raise InvalidRequestError(f"blob prefix must be a str, got {prefix!r}")
    if prefix:
        # A prefix may end anywhere, e.g. mid-segment or just after a "/".
        check_key(prefix.rstrip("/") + "/x" if prefix.endswith("/") else prefix)
    return prefix


def check_content_type(content_type: str) -> str:
    """Return ``content_type`` if it is safe to send back as a header value."""
    if not isinstance(content_type, str) or not content_type or len(content_type) > 255:
        raise InvalidRequestError(f"invalid content type {content_type!r}")
    if any(ord(c) < 0x20 or ord(c) >= 0x7F for c in content_type):
        raise InvalidRequestError(f"content type {content_type!r} holds a control character")
    return content_type


def check_range(offset: int, length: int | None) -> None:
    """Refuse a range that is not ``offset >= 0`` and ``length`` None or ``>= 0``."""
    if isinstance(offset, bool) or not isinstance(offset, int) or offset < 0:
        raise InvalidRequestError(f"offset must be an int >= 0, got {offset!r}")
    if length is not None and (isinstance(length, bool) or not isinstance(length, int)):
        raise InvalidRequestError(f"length must be an int >= 0, got {length!r}")
    if length is not None and length < 0:
        raise InvalidRequestError(f"length must be an int >= 0, got {length}")
