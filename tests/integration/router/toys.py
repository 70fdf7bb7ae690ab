"""Toy subgraphs for the router tests: titles (owns Title), ratings (extends it), clash.

Each is a chassis app with :func:`reelstack.chassis.subgraph.serve_subgraph`,
registering in a real registry like a service would.
"""

from __future__ import annotations

from pathlib import Path

import strawberry
from fastapi import FastAPI
from strawberry.federation import Schema
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from reelstack import settings
from reelstack.chassis.app import create_service_app
from reelstack.chassis.subgraph import serve_subgraph, subgraph_schema
from reelstack.config import Config
from tests.integration.registry_processes import SECRET

TITLES = {"1": "Stranger Tides", "2": "The Long Night"}
RATINGS = {"1": 5, "2": 3}
SEEN_HEADERS = ("x-account-id", "x-profile-id", "x-roles", "x-request-id", "cookie", "x-evil")
SHAPING = ("x-maturity", "x-region")
# How many times titles' `asked` was resolved: an answer kept by the router does not move it.
ASKED = [0]


@strawberry.federation.type(keys=["id"])
class Title:
    id: strawberry.ID
    name: str

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Title:
        return Title(id=id, name=TITLES[str(id)])


@strawberry.type
class Header:
    name: str
    value: str


@strawberry.type
class TitlesQuery:
    @strawberry.field
    def titles(self) -> list[Title]:
        return [Title(id=strawberry.ID(key), name=name) for key, name in TITLES.items()]

    @strawberry.field
    def headers(self, info: Info) -> list[Header]:
        """The request headers this subgraph received (of those the test looks at)."""
        request = info.context["request"]
        return [
            Header(name=n, value=request.headers[n])
            for n in SEEN_HEADERS + SHAPING
            if n in request.headers
        ]

    @strawberry.field
    def asked(self) -> int:
        """Counts its own resolutions (the home cache's tests tell kept answers by it)."""
        ASKED[0] += 1
        return ASKED[0]


@strawberry.type
class TitlesMutation:
    @strawberry.mutation
    def touch(self) -> int:
        """A write that changes nothing (what matters is that it is a mutation)."""
        return ASKED[0]


@strawberry.federation.type(keys=["id"], name="Title")
class RatedTitle:
    id: strawberry.ID
    rating: int

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> RatedTitle:
        return RatedTitle(id=id, rating=RATINGS[str(id)])


@strawberry.type
class RatingsQuery:
    @strawberry.field
    def top_rating(self) -> int:
        return max(RATINGS.values())


@strawberry.federation.type(keys=["id"], name="Title")
class ClashingTitle:
    id: strawberry.ID
    name: int  # titles says String: composition must refuse this subgraph

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> ClashingTitle:
        return ClashingTitle(id=id, name=0)


@strawberry.type
class ClashQuery:
    @strawberry.field
    def clash(self) -> int:
        return 0


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)], name="Title")
class TitleKey:
    id: strawberry.ID


@strawberry.type
class RowItem:
    title: TitleKey | None
    progress: float | None


@strawberry.type
class Row:
    id: str
    name: str
    items: list[RowItem]


@strawberry.type
class PartError:
    part: str
    detail: str


@strawberry.type
class Home:
    fallback: bool
    rows: list[Row]
    errors: list[PartError]


@strawberry.type
class HomeQuery:
    @strawberry.field
    def home(self) -> Home | None:
        """One live row naming title 1 (the fallback's cached rows name title 2)."""
        item = RowItem(title=TitleKey(id=strawberry.ID("1")), progress=None)
        return Home(fallback=False, rows=[Row(id="live", name="Live", items=[item])], errors=[])


def home_schema() -> Schema:
    """Recommendations' shape in small: rows of references to titles' ``Title``."""
    return subgraph_schema(query=HomeQuery, types=[TitleKey])


def titles_schema() -> Schema:
    return subgraph_schema(query=TitlesQuery, mutation=TitlesMutation)


def ratings_schema() -> Schema:
    return subgraph_schema(query=RatingsQuery, types=[RatedTitle])


def clash_schema() -> Schema:
    return subgraph_schema(query=ClashQuery, types=[ClashingTitle])


def subgraph_app(
    name: str, schema: Schema, *, home: Path, port: int, eureka: str, **environ: str
) -> FastAPI:
    """A chassis app named ``name`` serving ``schema`` and registering in ``eureka``."""
    config = Config.load(
        settings.REGISTRY,
        environ={
            "REELSTACK_HOME": str(home / name),
            "REELSTACK_SERVICE_PORT": str(port),
            "REELSTACK_SERVICE_HOST": "127.0.0.1",
            "REELSTACK_CLUSTER_SECRET": SECRET,
            "REELSTACK_EUREKA_URLS": eureka,
            "REELSTACK_EUREKA_RENEWAL_INTERVAL_S": "0.5",
            "REELSTACK_EUREKA_FETCH": "false",
            "REELSTACK_LOGGING_ACCESS": "false",
            **environ,
        },
    )
    app = create_service_app(config, service=name, poll_properties=False)
    serve_subgraph(app, schema)
    return app
