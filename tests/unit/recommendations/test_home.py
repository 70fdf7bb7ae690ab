"""A profile's home rows: built ahead, filtered to its level and region, served when parts fail."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from reelstack import services
from reelstack.adapters.widecolumn.sqlite import SqliteWideColumnStore
from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.errors import UnavailableError
from reelstack.recommendations import builder, counting
from reelstack.recommendations.app import create_app
from reelstack.recommendations.context import RecommendationsContext
from reelstack.recommendations.models import Item
from tests.unit.chassis.conftest import started
from tests.unit.recommendations.conftest import FakeUpstreams, play_record, visible

NOW = 1_800_000_000.0


@dataclass
class Stack:
    client: httpx.AsyncClient
    app: FastAPI
    upstreams: FakeUpstreams

    @property
    def ctx(self) -> RecommendationsContext:
        return chassis_of(self.app).context_as(RecommendationsContext)

    async def build(self) -> None:
        await builder.build_round(
            store=self.ctx.store,
            cache=self.ctx.cache,
            catalog=self.upstreams,
            default_region="US",
            shape=self.ctx.shape,
            now=NOW,
        )

    async def rows(self, profile: str = "p1", **headers: str) -> httpx.Response:
        who = {"x-account-id": "acc1", "x-profile-id": profile, "x-maturity": "adults"}
        return await self.client.get(
            f"/recommendations/profiles/{profile}/rows", headers=who | headers
        )


@pytest.fixture
async def stack(
    make_config: Callable[..., Config], store: SqliteWideColumnStore
) -> AsyncIterator[Stack]:
    # Rounds are run by the tests themselves (no background counting or building).
    config = make_config(**{"recommendations.build_s": "3600"})
    upstreams = FakeUpstreams()
    app = create_app(
        config,
        adapters=Adapters(config, _built={"widecolumn": store}),
        upstreams=upstreams,
        background=False,
    )
    plays = (
        [play_record(i, "space") for i in range(3)]
        + [play_record(3 + i, "e1") for i in range(2)]
        + [play_record(5, "robots")]
        + [play_record(6 + i, "gb-only", region="GB") for i in range(5)]
    )
    await counting.count(store, plays, default_region="US")
    async for client in started(app):
        yield Stack(client, app, upstreams)


def _rows(body: dict[str, Any]) -> dict[str, list[str]]:
    return {row["id"]: [item["id"] for item in row["items"]] for row in body["rows"]}


def test_the_spec_is_accepted() -> None:
    spec = services.specs(("reelstack.recommendations",))["recommendations"]
    assert spec.ports == ("widecolumn", "log", "cache")


async def test_rows_follow_popularity_and_series_stand_for_their_episodes(stack: Stack) -> None:
    await stack.build()
    answer = await stack.rows()
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["region"], body["maturity"], body["fallback"], body["errors"]) == (
        "US",
        "adults",
        False,
        [],
    )
    rows = _rows(body)
    # The GB-only film is the most played overall, and not shown in the US.
    assert rows["trending"] == ["space", "show", "robots"]
    assert rows["top10"] == ["space", "show", "robots"]
    assert [row["name"] for row in body["rows"]][:2] == ["Trending now", "Top 10 in US"]
    assert rows["genre:Drama"] == ["space", "war"]
    assert rows["genre:Comedy"] == ["show"]
    # Genre rows: the most watched genres first.
    genres = [r for r in rows if r.startswith("genre:")]
    assert genres[0] in {"genre:Sci-Fi", "genre:Drama"} and genres[-1] == "genre:War"


async def test_a_kids_profile_gets_only_its_level_in_every_row(stack: Stack) -> None:
    await stack.build()
    stack.upstreams.continuing["p1"] = [Item("e1", "title", 0.4)]
    stack.upstreams.watched["p1"] = Item("robots", "title")
    body = (await stack.rows(**{"x-maturity": "kids"})).json()
    rows = _rows(body)
    assert rows["trending"] == ["show", "robots"]
    for row_id, ids in rows.items():
        for item in ids:
            title_ids = ["e1", "e2"] if item == "show" else [item]
            assert all(visible(t, "kids", "US") for t in title_ids), (row_id, item)


async def test_a_region_sees_its_own_top_10(stack: Stack) -> None:
    await stack.build()
    rows = _rows((await stack.rows(**{"x-region": "GB"})).json())
    assert rows["top10"] == ["gb-only"]
    assert rows["trending"][0] == "gb-only"


async def test_the_profiles_own_rows(stack: Stack) -> None:
    await stack.build()
    stack.upstreams.continuing["p1"] = [Item("e1", "title", 0.4)]
    stack.upstreams.watched["p1"] = Item("space", "title")
    stack.upstreams.listed["p1"] = [Item("war", "title")]
    body = (await stack.rows()).json()
    ids = [row["id"] for row in body["rows"]]
    assert ids[:5] == ["continue_watching", "trending", "top10", "because:title:space", "my_list"]
    assert body["rows"][0]["items"] == [{"id": "e1", "kind": "title", "progress": 0.4}]
    because = body["rows"][3]
    assert because["name"] == "Because you watched Space Film"
    assert [i["id"] for i in because["items"]] == ["robots", "war"]


async def test_another_profile_is_404_and_no_account_is_401(stack: Stack) -> None:
    await stack.build()
    other = await stack.client.get(
        "/recommendations/profiles/p2/rows",
        headers={"x-account-id": "acc1", "x-profile-id": "p1"},
    )
    assert other.status_code == 404
    nobody = await stack.client.get("/recommendations/profiles/p1/rows")
    assert nobody.status_code == 401
    bad = await stack.client.get("/recommendations/profiles/..%2f/rows")
    assert bad.status_code in (404, 422)
    assert stack.upstreams.asked == []  # nothing was asked for a caller refused


async def test_a_service_down_leaves_its_rows_out_and_names_them(stack: Stack) -> None:
    await stack.build()
    stack.upstreams.down.add("history")
    answer = await stack.rows()
    assert answer.status_code == 200
    body = answer.json()
    assert {e["part"] for e in body["errors"]} == {"continue_watching", "because_you_watched"}
    assert "trending" in _rows(body) and not body["fallback"]


class DownStore:
    """A wide-column store that does not answer, or answers too late."""

    def __init__(self, inner: Any, *, slow_s: float | None = None) -> None:
        self.inner, self.slow_s = inner, slow_s

    def __getattr__(self, name: str) -> Any:
        async def call(*args: Any, **kwargs: Any) -> Any:
            if self.slow_s is None:
                raise UnavailableError("the wide-column store is down")
            await asyncio.sleep(self.slow_s)
            return await getattr(self.inner, name)(*args, **kwargs)

        return call


@pytest.mark.parametrize("slow_s", [None, 5.0])
async def test_a_slow_or_down_store_serves_the_cached_rows(
    stack: Stack, slow_s: float | None
) -> None:
    await stack.build()
    fresh = _rows((await stack.rows()).json())
    stack.ctx.store = DownStore(stack.ctx.store, slow_s=slow_s)  # type: ignore[assignment]
    stack.upstreams.continuing["p1"] = [Item("e1", "title", 0.4)]
    body = (await stack.rows()).json()
    assert body["fallback"] is True
    assert "rows" in {e["part"] for e in body["errors"]}
    rows = _rows(body)
    assert rows["trending"] == fresh["trending"] and rows["top10"] == fresh["top10"]
    assert rows["continue_watching"] == ["e1"]


async def test_nothing_built_nor_cached_is_an_empty_page_with_the_reason(stack: Stack) -> None:
    stack.ctx.store = DownStore(stack.ctx.store)  # type: ignore[assignment]
    body = (await stack.rows()).json()
    assert body["rows"] == [] and body["fallback"] is True
    assert {e["part"] for e in body["errors"]} == {"rows", "fallback"}


async def test_the_subgraph_serves_the_same_rows_as_references_to_catalogs_entities(
    stack: Stack,
) -> None:
    await stack.build()
    stack.upstreams.continuing["p1"] = [Item("e1", "title", 0.4)]
    who = {"x-account-id": "acc1", "x-profile-id": "p1", "x-maturity": "kids"}
    query = """{ home { fallback errors { part }
        rows { id name items { title { id } series { id } progress } } } }"""
    answer = await stack.client.post("/graphql", json={"query": query}, headers=who)
    assert answer.status_code == 200, answer.text
    home = answer.json()["data"]["home"]
    rest = (await stack.rows(**{"x-maturity": "kids"})).json()
    assert [r["id"] for r in home["rows"]] == [r["id"] for r in rest["rows"]]
    assert home["rows"][0]["items"] == [{"title": {"id": "e1"}, "series": None, "progress": 0.4}]
    trending = next(r for r in home["rows"] if r["id"] == "trending")
    assert trending["items"][0] == {"title": None, "series": {"id": "show"}, "progress": None}
    sdl = await stack.client.post("/graphql", json={"query": "{ _service { sdl } }"}, headers=who)
    assert '@key(fields: "id", resolvable: false)' in sdl.json()["data"]["_service"]["sdl"]
    nobody = await stack.client.post("/graphql", json={"query": "{ home { fallback } }"})
    assert "no profile" in nobody.json()["errors"][0]["message"]
