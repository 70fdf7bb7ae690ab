"""Small response helpers shared by the chassis and services."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


def json_response(content: Any, status_code: int = 200) -> Response:
    """Return ``content`` serialised with orjson as an ``application/json`` response."""
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")
