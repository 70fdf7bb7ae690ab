"""The toy subgraph: ``{ titles { id name } }`` from memory, served next to nothing else."""

from __future__ import annotations

import strawberry
from fastapi import FastAPI

from bench.servers.toygraph.spec import SPEC
from reelstack.chassis.app import create_service_app
from reelstack.chassis.subgraph import serve_subgraph, subgraph_schema
from reelstack.config import Config


@strawberry.federation.type(keys=["id"])
class Title:
    id: strawberry.ID
    name: str


TITLES = [Title(id=strawberry.ID(str(n)), name=f"Title {n}") for n in range(1, 4)]


@strawberry.type
class Query:
    @strawberry.field
    def titles(self) -> list[Title]:
        return TITLES


def create_app(config: Config) -> FastAPI:
    """Return the toy subgraph's app."""
    app = create_service_app(config, spec=SPEC)
    serve_subgraph(app, subgraph_schema(query=Query))
    return app
