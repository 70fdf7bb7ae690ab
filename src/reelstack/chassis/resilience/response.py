"""What a call through the resilient client returns."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from reelstack.chassis.discovery import InstanceInfo

_JSON_HEADERS: Mapping[str, str] = {"Content-Type": "application/json"}


class Response:
    """An HTTP response read in full: status, headers, body, and who answered.

    ``instance`` is the instance that answered, or None for a response a
    fallback made up.
    """

    __slots__ = ("body", "headers", "instance", "status")

    def __init__(
        self,
        status: int,
        headers: Mapping[str, str],
        body: bytes,
        instance: InstanceInfo | None = None,
    ) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.instance = instance

    @property
    def ok(self) -> bool:
        """True for a status below 400."""
        return self.status < 400

    def json(self) -> Any:
        """Return the body parsed as JSON."""
        return orjson.loads(self.body)

    @classmethod
    def from_json(cls, value: Any, status: int = 200) -> Response:
        """Return a JSON response, for fallbacks that answer with a default value."""
        return cls(status, _JSON_HEADERS, orjson.dumps(value))

    def __repr__(self) -> str:
        who = self.instance.instance_id if self.instance is not None else "fallback"
        return f"<Response {self.status} {len(self.body)} bytes from {who}>"
