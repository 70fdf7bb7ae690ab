"""The home page cache through a router instance and its Hive Gateway, on toy subgraphs.

A toy ``Home`` operation echoes the identity headers titles received and
counts its own resolutions (``asked``): an answer the router kept repeats
the count, a fresh one moves it.
"""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelstack.router.persisted import document_id
from tests.integration.registry_processes import Process
from tests.integration.router.test_router import (  # noqa: F401 (fixtures)
    Subgraphs,
    registry,
    router_app,
    status,
    subgraphs,
)
from tests.support.wait import eventually
from tests.unit.chassis.conftest import started

pytestmark = pytest.mark.slow

HOME = "query Home {\n  asked\n  headers { name value }\n  titles { id name }\n}\n"
HOME_RATED = "query Home {\n  asked\n  titles { id rating }\n}\n"
TOUCH = "mutation Touch {\n  touch\n}\n"
ANN = {
    "x-account-id": "acc-ann",
    "x-profile-id": "ann-1",
    "x-roles": "viewer",
    "x-maturity": "adult",
    "x-region": "US",
}


async def page(client: httpx.AsyncClient, text: str, **headers: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"documentId": f"sha256:{document_id(text)}"}, headers=headers
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def echoed(answer: dict[str, Any]) -> dict[str, str]:
    """The identity headers titles saw (the request id differs per request; it is not identity)."""
    return {h["name"]: h["value"] for h in answer["data"]["headers"] if h["name"] != "x-request-id"}


@asynccontextmanager
async def router(tmp_path: Path, registry: Process, documents: dict[str, str], **more: str) -> Any:  # noqa: F811
    folder = tmp_path / "graphql"
    folder.mkdir(exist_ok=True)
    for name, text in documents.items():
        (folder / f"{name}.graphql").write_text(text)
    app = router_app(
        tmp_path,
        registry.eureka,
        REELSTACK_ROUTER_PERSISTED_DOCUMENTS=str(folder),
        **more,
    )
    async with asynccontextmanager(started)(app) as client:
        yield client


async def serving(client: httpx.AsyncClient, names: set[str]) -> None:
    async def served() -> bool:
        ready = (await client.get("/ready")).status_code == 200
        return ready and set((await status(client))["served"]) == names

    await eventually(served, f"{sorted(names)} served through Hive Gateway")


async def test_each_caller_gets_only_its_own_page_and_a_mutation_drops_it(
    tmp_path: Path,
    registry: Process,  # noqa: F811
    subgraphs: Subgraphs,  # noqa: F811
) -> None:
    documents = {"home": HOME, "touch": TOUCH}
    async with router(tmp_path, registry, documents, REELSTACK_ROUTER_HOME_CACHE_S="600") as client:
        await subgraphs.start("titles")
        await serving(client, {"titles"})

        first = await page(client, HOME, **ANN)
        assert echoed(first)["x-profile-id"] == "ann-1"
        # The same caller again: the kept answer, byte for byte.
        assert await page(client, HOME, **ANN) == first

        # Anyone differing in anything that shapes the page gets their own.
        others = {
            "another profile, same account": ANN | {"x-profile-id": "ann-2"},
            "another account": ANN | {"x-account-id": "acc-bob", "x-profile-id": "bob-1"},
            "another maturity": ANN | {"x-maturity": "kids"},
            "another region": ANN | {"x-region": "BR"},
            "other roles": ANN | {"x-roles": "viewer,admin"},
        }
        for why, headers in others.items():
            theirs = await page(client, HOME, **headers)
            assert theirs["data"]["asked"] != first["data"]["asked"], why
            assert echoed(theirs) == headers, why
        # ...and Ann still gets hers, not the last caller's.
        assert await page(client, HOME, **ANN) == first

        # No profile chosen: never kept (two calls, two answers).
        bare = {k: v for k, v in ANN.items() if k != "x-profile-id"}
        once = await page(client, HOME, **bare)
        assert (await page(client, HOME, **bare))["data"]["asked"] != once["data"]["asked"]

        # Ann writes through the graph: her next page is fresh; Bob's stays kept.
        bob = others["another account"]
        bobs = await page(client, HOME, **bob)
        touched = await page(client, TOUCH, **ANN)
        assert "errors" not in touched, touched
        after = await page(client, HOME, **ANN)
        assert after["data"]["asked"] > first["data"]["asked"]
        assert await page(client, HOME, **bob) == bobs
        # Another profile of Ann's account wrote: her pages go too.
        await page(client, TOUCH, **others["another profile, same account"])
        assert (await page(client, HOME, **ANN))["data"]["asked"] > after["data"]["asked"]

        # A document sent as text may be a mutation: it drops the account's pages too.
        kept = await page(client, HOME, **ANN)
        text = await client.post("/graphql", json={"query": "mutation { touch }"}, headers=ANN)
        assert text.status_code == 200, text.text
        assert (await page(client, HOME, **ANN))["data"]["asked"] > kept["data"]["asked"]


async def test_partial_answers_are_never_kept(
    tmp_path: Path,
    registry: Process,  # noqa: F811
    subgraphs: Subgraphs,  # noqa: F811
) -> None:
    documents = {"home": HOME_RATED}
    async with router(tmp_path, registry, documents, REELSTACK_ROUTER_HOME_CACHE_S="600") as client:
        await subgraphs.start("titles")
        await subgraphs.start("ratings")
        await serving(client, {"titles", "ratings"})
        whole = await page(client, HOME_RATED, **ANN)
        assert "errors" not in whole, whole
        assert await page(client, HOME_RATED, **ANN) == whole

        # Ratings goes: the partial page (errors, ratings null) is answered, never kept.
        await subgraphs.stop("ratings")
        bob = ANN | {"x-account-id": "acc-bob", "x-profile-id": "bob-1"}

        async def partial() -> bool:
            return bool((await page(client, HOME_RATED, **bob)).get("errors"))

        await eventually(partial, "a page without ratings' part")
        # Ratings is back: the very next page is whole, not the partial one kept for 600 s.
        await subgraphs.start("ratings")

        async def whole_again() -> bool:
            return "errors" not in await page(client, HOME_RATED, **bob)

        await eventually(whole_again, "Bob's page whole again once ratings is back")
        kept = await page(client, HOME_RATED, **bob)
        assert await page(client, HOME_RATED, **bob) == kept


async def test_with_the_setting_at_zero_nothing_is_kept(
    tmp_path: Path,
    registry: Process,  # noqa: F811
    subgraphs: Subgraphs,  # noqa: F811
) -> None:
    documents = {"home": HOME}
    async with router(tmp_path, registry, documents, REELSTACK_ROUTER_HOME_CACHE_S="0") as client:
        await subgraphs.start("titles")
        await serving(client, {"titles"})
        one = await page(client, HOME, **ANN)
        two = await page(client, HOME, **ANN)
        assert "errors" not in one, one
        assert two["data"]["asked"] > one["data"]["asked"]
