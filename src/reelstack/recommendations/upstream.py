"""What recommendations asks other services, through the instance's resilient client.

Catalog says which titles a maturity level may see in a region (for the
builder, asking as nobody but that level and region) and what is on a
profile's list; history says what the profile is watching and watched
last (one request per page). Calls for a profile forward the caller's
identity headers, so each service judges the same caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from reelstack.chassis.caller import MATURITY, REGION, Caller
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.errors import UnavailableError
from reelstack.recommendations.models import CatalogTitle, Item, Watching

PAGE = 100
MAX_TITLES = 20_000
"""Titles the builder reads per level and region: the batch jobs' work beyond that."""


class Upstreams(Protocol):
    """The questions the builder and a profile's request ask."""

    async def titles(self, *, maturity: str, region: str) -> list[CatalogTitle]: ...

    async def watching(self, caller: Caller) -> Watching: ...

    async def my_list(self, caller: Caller) -> list[Item]: ...


def _ok(status: int, body: Any, what: str) -> Any:
    if status != 200:
        raise UnavailableError(f"{what}: the service answered {status}")
    return body


def _title(data: dict[str, Any]) -> CatalogTitle:
    return CatalogTitle(
        id=str(data["id"]),
        name=str(data["name"]),
        genres=tuple(str(g) for g in data.get("genres") or ()),
        series_id=data.get("series_id"),
        series_name=data.get("series_name"),
    )


@dataclass
class ServiceUpstreams:
    """:class:`Upstreams` over the resilient client."""

    client: Callable[[], ResilientClient]

    async def titles(self, *, maturity: str, region: str) -> list[CatalogTitle]:
        found: list[CatalogTitle] = []
        offset = 0
        while offset < MAX_TITLES:
            response = await self.client().request(
                "catalog",
                "GET",
                f"/catalog/titles?limit={PAGE}&offset={offset}",
                headers={MATURITY: maturity, REGION: region},
            )
            page = _ok(response.status, response.json() if response.ok else None, "catalog")
            items = page["items"]
            found += [_title(item) for item in items]
            offset += len(items)
            if not items or offset >= int(page["total"]):
                break
        return found

    async def watching(self, caller: Caller) -> Watching:
        # One request for both of history's parts of a page: two cost history
        # and this service a request's fixed cost more, on every page.
        path = f"/history/profiles/{quote(caller.profile or '')}/watching"
        response = await self.client().request("history", "GET", path, headers=caller.headers())
        body = _ok(response.status, response.json() if response.ok else None, "history")
        continuing = [
            Item(str(i["title_id"]), "title", float(i["fraction"]))
            for i in body["continue_watching"]
        ]
        latest = body["last_watched"]
        if not latest:
            return Watching(continuing, None)
        if latest.get("series_id"):
            return Watching(continuing, Item(str(latest["series_id"]), "series"))
        return Watching(continuing, Item(str(latest["title_id"]), "title"))

    async def my_list(self, caller: Caller) -> list[Item]:
        path = f"/catalog/profiles/{quote(caller.profile or '')}/my-list"
        response = await self.client().request("catalog", "GET", path, headers=caller.headers())
        body = _ok(response.status, response.json() if response.ok else None, "catalog")
        return [Item(str(i["id"]), "title") for i in body["items"]]
