"""The request id: taken from ``X-Request-Id`` or generated, kept in a contextvar.

Every log line written while a request is handled carries its id, and the
chassis' outgoing HTTP client copies it onto calls to other services, so one
id follows a request across the whole system.
"""

from __future__ import annotations

import os
from contextvars import ContextVar

HEADER = "X-Request-Id"
HEADER_BYTES = b"x-request-id"
# Ids longer than this, or with bytes outside printable ASCII, are replaced:
# the id is echoed into headers and logs, so it must not carry anything else.
MAX_LENGTH = 128

request_id_var: ContextVar[str | None] = ContextVar("reelstack_request_id", default=None)


def current() -> str | None:
    """Return the id of the request being handled, if any."""
    return request_id_var.get()


def new_id() -> str:
    """Return a fresh random request id (32 hex digits)."""
    return os.urandom(16).hex()


def accept(raw: bytes | None) -> str:
    """Return the incoming id if it is acceptable, else a new one."""
    if raw and len(raw) <= MAX_LENGTH and all(0x21 <= b <= 0x7E for b in raw):
        return raw.decode("ascii")
    return new_id()
