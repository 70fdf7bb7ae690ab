"""Asking recommendations for a profile's rows, with the fallback its callers use.

When the service cannot answer (no instance, a timeout, an open circuit, a
5xx), the caller serves the rows last built for the profile's region and
maturity level from the cache the builder fills (the role EVCache played
behind Hystrix's fallbacks on Netflix's home page), marked ``fallback`` and
with the failure named in ``errors``; with nothing cached, an empty page
that says why. The profile's own rows (continue watching, My List) are not
in the cache: the page has them from their own services.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import orjson

from reelstack.chassis.caller import Caller
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.chassis.resilience.errors import CallError
from reelstack.chassis.resilience.response import Response
from reelstack.errors import NotFoundError, ReelstackError, UnavailableError
from reelstack.ports import Cache
from reelstack.recommendations.builder import cache_key
from reelstack.recommendations.service import rows_key

SERVICE = "recommendations"


async def cached_rows(
    cache: Cache, caller: Caller, *, default_region: str, failure: str
) -> dict[str, Any]:
    """The fallback page: the rows last built for the caller's region and level.

    ``failure`` says why the service itself was not asked or did not answer;
    it leads the page's ``errors``. Marked ``fallback``; with nothing cached,
    no rows and an error that says so.
    """
    region, maturity = rows_key(caller, default_region)
    errors = [{"part": SERVICE, "detail": failure}]
    rows: list[Any] = []
    try:
        raw = await cache.get(cache_key(region, maturity))
    except ReelstackError as exc:
        raw = None
        errors.append({"part": "fallback", "detail": str(exc)})
    if raw is not None:
        rows = orjson.loads(raw)["rows"]
    elif len(errors) == 1:
        errors.append({"part": "fallback", "detail": "no rows are cached yet"})
    return {
        "profile_id": caller.profile or "",
        "region": region,
        "maturity": maturity,
        "fallback": True,
        "rows": rows,
        "errors": errors,
    }


async def home_rows(
    client: ResilientClient,
    cache: Cache,
    caller: Caller,
    *,
    default_region: str,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Return the caller's rows as the service answers them, or the cached fallback."""
    profile = caller.profile or ""

    async def fallback(error: CallError) -> Response:
        failure = str(error) or type(error).__name__
        body = await cached_rows(cache, caller, default_region=default_region, failure=failure)
        return Response.from_json(body)

    response = await client.request(
        SERVICE,
        "GET",
        f"/recommendations/profiles/{quote(profile, safe='')}/rows",
        headers=caller.headers(),
        timeout_s=timeout_s,
        fallback=fallback,
    )
    if response.status == 404:
        # Another profile than the token's: the caller's own error, not an outage.
        raise NotFoundError("no such profile")
    if response.status != 200:
        raise UnavailableError(f"recommendations answered {response.status}")
    answer: dict[str, Any] = response.json()
    return answer
