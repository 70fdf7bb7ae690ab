"""Request bodies of the control API, validated field by field.

A bad body is refused with :class:`FieldError`, which names the field, so the
API answers 400 with ``{"error": ..., "field": ..., "detail": ...}``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from reelstack.cluster.model import MAX_GROUP_SIZE, check_version
from reelstack.errors import InvalidRequestError


class FieldError(InvalidRequestError):
    """A request field is missing or invalid."""

    def __init__(self, field: str, detail: str) -> None:
        self.field = field
        self.detail = detail
        super().__init__(f"{field}: {detail}")


def parse_object(raw: bytes) -> dict[str, Any]:
    """Return the JSON object in ``raw`` (an empty body is an empty object)."""
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise FieldError("body", f"not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise FieldError("body", "expected a JSON object")
    return data


def _only(body: dict[str, Any], *fields: str) -> None:
    for name in body:
        if name not in fields:
            raise FieldError(name, f"unknown field; expected {', '.join(fields)}")


def _int(body: dict[str, Any], field: str, *, minimum: int, default: int | None = None) -> int:
    if field not in body:
        if default is None:
            raise FieldError(field, "required")
        return default
    value = body[field]
    # JSON true is a Python int; a count of `true` is a mistake, not 1.
    if not isinstance(value, int) or isinstance(value, bool):
        raise FieldError(field, f"expected an integer, got {value!r}")
    if not minimum <= value <= MAX_GROUP_SIZE:
        raise FieldError(field, f"must be between {minimum} and {MAX_GROUP_SIZE}, got {value}")
    return value


def _version(body: dict[str, Any], field: str) -> str | None:
    value = body.get(field)
    if value is None:
        return None
    if not isinstance(value, str):
        raise FieldError(field, f"expected a string, got {value!r}")
    return validate_version(value, field)


def validate_version(value: str, field: str = "version") -> str:
    """Return ``value`` if it is a usable version; FieldError naming ``field`` if not."""
    try:
        return check_version(value)
    except ValueError as exc:
        raise FieldError(field, f"{value!r}: {exc}") from None


@dataclass(frozen=True)
class ScaleRequest:
    """``POST /services/{service}/scale``: ``{"count": N, "version": V?}``."""

    count: int
    version: str | None = None

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> ScaleRequest:
        _only(body, "count", "version")
        return cls(
            count=_int(body, "count", minimum=0),
            version=_version(body, "version"),
        )


@dataclass(frozen=True)
class StartVersionRequest:
    """``POST /services/{service}/versions``: ``{"version": V, "count": N?}`` (count 1)."""

    version: str
    count: int = 1

    @classmethod
    def from_body(cls, body: dict[str, Any]) -> StartVersionRequest:
        _only(body, "version", "count")
        version = _version(body, "version")
        if version is None:
            raise FieldError("version", "required")
        return cls(version=version, count=_int(body, "count", minimum=1, default=1))
