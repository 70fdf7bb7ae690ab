"""The subgraph helper: a schema mounted next to the REST routes, announced in the registry."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import strawberry
from strawberry.federation import Schema

from reelstack import settings
from reelstack.chassis.app import chassis_of, create_service_app
from reelstack.chassis.eureka import EurekaClient
from reelstack.chassis.subgraph import SUBGRAPH_METADATA, serve_subgraph, subgraph_schema
from reelstack.config import Config
from reelstack.errors import NotFoundError
from tests.unit.chassis.conftest import started


@strawberry.federation.type(keys=["id"])
class Thing:
    id: strawberry.ID


@strawberry.type
class Query:
    @strawberry.field
    def things(self) -> list[Thing]:
        return [Thing(id=strawberry.ID("1"))]


def config(tmp_path: Path, **environ: str) -> Config:
    return Config.load(
        settings.REGISTRY,
        environ={"REELSTACK_HOME": str(tmp_path), "REELSTACK_SERVICE_PORT": "18123", **environ},
    )


def test_the_path_goes_into_the_registration(tmp_path: Path) -> None:
    app = create_service_app(
        config(tmp_path, REELSTACK_EUREKA_URLS="http://127.0.0.1:1/eureka"),
        service="things",
        poll_properties=False,
    )
    serve_subgraph(app, subgraph_schema(query=Query), path="/gql")
    eureka = chassis_of(app).discovery
    assert isinstance(eureka, EurekaClient)
    metadata = eureka.instance_payload("UP")["instance"]["metadata"]
    assert metadata[SUBGRAPH_METADATA] == "/gql" and metadata["zone"] == "a"


def test_a_schema_newer_than_the_router_composes_is_refused(tmp_path: Path) -> None:
    app = create_service_app(config(tmp_path), service="things", poll_properties=False)
    with pytest.raises(ValueError, match="subgraph_schema"):
        serve_subgraph(app, Schema(query=Query))  # Strawberry's default: federation 2.11


async def test_the_subgraph_answers_its_sdl_by_post_only(tmp_path: Path) -> None:
    app = create_service_app(config(tmp_path), service="things", poll_properties=False)
    serve_subgraph(app, subgraph_schema(query=Query))
    async with asynccontextmanager(started)(app) as client:
        answer = await client.post("/graphql", json={"query": "{ _service { sdl } }"})
        sdl = answer.json()["data"]["_service"]["sdl"]
        assert "federation/v2.9" in sdl and '@key(fields: "id")' in sdl
        by_get = await client.get("/graphql", params={"query": "{ things { id } }"})
        # POST only: a GET is not a method of the route at all.
        assert by_get.status_code == 405 and "things" not in by_get.text


async def test_ready_reports_a_services_own_checks(tmp_path: Path) -> None:
    app = create_service_app(config(tmp_path), service="things", poll_properties=False)

    async def not_yet() -> str | None:
        return "no supergraph composed yet"

    chassis_of(app).checks["child"] = not_yet
    async with asynccontextmanager(started)(app) as client:
        ready = await client.get("/ready")
    assert ready.status_code == 503
    body = ready.json()
    assert body["failing"] == ["child"]
    assert body["dependencies"]["child"] == {
        "status": "down",
        "reason": "no supergraph composed yet",
    }


@strawberry.type
class Failing:
    @strawberry.field
    def refused(self) -> str:
        raise NotFoundError("no such thing: 7")

    @strawberry.field
    def crashed(self) -> str:
        raise RuntimeError("password=hunter2 at /srv/db")


async def test_errors_meant_for_callers_pass_and_others_are_masked(tmp_path: Path) -> None:
    app = create_service_app(config(tmp_path), service="things", poll_properties=False)
    serve_subgraph(app, subgraph_schema(query=Failing))
    async for client in started(app):
        for field, shown in (("refused", "no such thing: 7"), ("crashed", "Unexpected error.")):
            answer = await client.post("/graphql", json={"query": f"{{ {field} }}"})
            assert answer.json()["errors"][0]["message"] == shown
            assert "hunter2" not in answer.text


BATCHES: list[list[str]] = []


@strawberry.federation.type(keys=["id"])
class Batched:
    id: strawberry.ID
    name: str

    @classmethod
    async def resolve_references(cls, info: object, ids: list[str]) -> list[Batched | None]:
        BATCHES.append(list(ids))
        if "boom" in ids:
            raise NotFoundError("no such batch")
        return [None if i == "gone" else cls(id=strawberry.ID(i), name=f"n{i}") for i in ids]


@strawberry.federation.type(keys=["id"])
class Single:
    id: strawberry.ID

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Single:
        return cls(id=id)


@strawberry.type
class BatchQuery:
    @strawberry.field
    def nothing(self) -> int:
        return 0


ENTITIES = """query($r: [_Any!]!) {
  _entities(representations: $r) { ... on Batched { id name } ... on Single { id } }
}"""


async def test_a_types_references_resolve_in_one_call_in_order_with_the_others() -> None:
    schema = subgraph_schema(query=BatchQuery, types=[Batched, Single])
    BATCHES.clear()
    wanted = [("Batched", "a"), ("Single", "s"), ("Batched", "gone"), ("Batched", "a")]
    reps = [{"__typename": kind, "id": key} for kind, key in wanted]
    result = await schema.execute(ENTITIES, variable_values={"r": reps})
    assert result.errors is None
    assert result.data == {
        "_entities": [{"id": "a", "name": "na"}, {"id": "s"}, None, {"id": "a", "name": "na"}]
    }
    assert BATCHES == [["a", "gone", "a"]]

    # A failed batch fails its own entities, each with the reason; the rest answer.
    reps = [{"__typename": "Batched", "id": "boom"}, {"__typename": "Single", "id": "s"}]
    failed = await schema.execute(ENTITIES, variable_values={"r": reps})
    assert failed.data == {"_entities": [None, {"id": "s"}]}
    assert [e.message for e in failed.errors or []] == ["no such batch"]
