"""Persisted documents through a router instance and its Hive Gateway, on toy subgraphs.

With ``router.persisted_only`` the router runs a document named by its hash
(either way a client may name it) and nothing sent as text; an unknown hash
is a GraphQL error naming it, never a 5xx.
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

CROSSING = "query Crossing {\n  titles { id name rating }\n}\n"
ANSWER = {
    "data": {
        "titles": [
            {"id": "1", "name": "Stranger Tides", "rating": 5},
            {"id": "2", "name": "The Long Night", "rating": 3},
        ]
    }
}


async def post(client: httpx.AsyncClient, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/graphql", json=body)
    assert response.status_code < 500, response.text
    answer: dict[str, Any] = response.json()
    return answer


async def test_only_persisted_documents_run_and_an_unknown_hash_is_named(
    tmp_path: Path,
    registry: Process,  # noqa: F811
    subgraphs: Subgraphs,  # noqa: F811
) -> None:
    documents = tmp_path / "graphql"
    documents.mkdir()
    (documents / "crossing.graphql").write_text(CROSSING)
    known = document_id(CROSSING)
    app = router_app(
        tmp_path,
        registry.eureka,
        REELSTACK_ROUTER_PERSISTED_DOCUMENTS=str(documents),
        REELSTACK_ROUTER_PERSISTED_ONLY="true",
    )
    async with asynccontextmanager(started)(app) as client:
        await subgraphs.start("titles")
        await subgraphs.start("ratings")

        async def both_served() -> bool:
            ready = (await client.get("/ready")).status_code == 200
            return ready and set((await status(client))["served"]) == {"titles", "ratings"}

        await eventually(both_served, "titles and ratings served through Hive Gateway")

        # The document by its hash, as Hive names it and as Apollo's clients do.
        assert await post(client, {"documentId": f"sha256:{known}"}) == ANSWER
        apollo = {"persistedQuery": {"version": 1, "sha256Hash": known}}
        assert await post(client, {"extensions": apollo}) == ANSWER

        # An unknown hash: refused by name, no data, whichever way it is sent.
        unknown = "0" * 64
        for body in (
            {"documentId": f"sha256:{unknown}"},
            {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}},
        ):
            answer = await post(client, body)
            assert answer.get("data") is None, answer
            assert unknown in answer["errors"][0]["message"], answer
            assert answer["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

        # The same document sent as text is refused: only the manifest runs.
        for body in ({"query": CROSSING}, {"query": CROSSING, "documentId": f"sha256:{known}"}):
            answer = await post(client, body)
            assert answer.get("data") is None, answer
            assert "only persisted documents" in answer["errors"][0]["message"], answer
