"""Responses the gateway makes itself: JSON errors."""

from __future__ import annotations

import orjson

from reelstack.gateway.models import GatewayResponse

JSON = (b"content-type", b"application/json")


def error_response(status: int, error: str, detail: str) -> GatewayResponse:
    """Return a JSON error response, shaped like the chassis' (``error`` and ``detail``)."""
    body = orjson.dumps({"error": error, "detail": detail})
    return GatewayResponse(status, [JSON, (b"cache-control", b"no-store")], body)
