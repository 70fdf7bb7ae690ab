"""What recommendations asks other services, through the instance's resilient client.

Catalog says which titles a maturity level may see in a region (for the
builder, asking as nobody but that level and region) and what is on a
profile's list; history says what the profile is watching. Calls for a
profile forward the caller's identity headers, so each service judges the
same caller.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

from reelstack.chassis.caller import MATURITY, REGION, Caller
from reelstack.chassis.resilience.client import ResilientClient
from reelstack.errors import UnavailableError
from reelstack.recommendations.models import CatalogTitle, Item

PAGE = 100
MAX_TITLES = 20_000
"""Titles the builder reads per level and region: the batch jobs' work beyond that."""


class Upstreams(Protocol):
    """The questions the builder and a profile's request ask."""

    async def titles(self, *, maturity: str, region: str) -> list[CatalogTitle]: ...

    async def continue_watching(self, caller: Caller) -> list[Item]: ...

    async def last_watched(self, caller: Caller) -> Item | None: ...

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

    async def continue_watching(self, caller: Caller) -> list[Item]:
        path = f"/history/profiles/{quote(caller.profile or '')}/continue-watching"
        response = await self.client().request("history", "GET", path, headers=caller.headers())
        body = _ok(response.status, response.json() if response.ok else None, "history")
        return [Item(str(i["title_id"]), "title", float(i["fraction"])) for i in body["items"]]

    async def last_watched(self, caller: Caller) -> Item | None:
        path = f"/history/profiles/{quote(caller.profile or '')}/history?limit=1"
        response = await self.client().request("history", "GET", path, headers=caller.headers())
        body = _ok(response.status, response.json() if response.ok else None, "history")
        if not body["items"]:
            return None
        latest = body["items"][0]
        if latest.get("series_id"):
            return Item(str(latest["series_id"]), "series")
        return Item(str(latest["title_id"]), "title")

    async def my_list(self, caller: Caller) -> list[Item]:
        path = f"/catalog/profiles/{quote(caller.profile or '')}/my-list"
        response = await self.client().request("catalog", "GET", path, headers=caller.headers())
        body = _ok(response.status, response.json() if response.ok else None, "catalog")
        return [Item(str(i["id"]), "title") for i in body["items"]]
