"""Recommendations' subgraph: the home page's rows for the token's profile.

Row items are references to catalog's entities (``Title``, ``Series``, by
key): this subgraph never resolves them, the router asks catalog for all of
a page's items in one batch. The rows come from the same use case as REST
(``service.home_rows``), parts that failed named in ``errors``.
"""

from __future__ import annotations

from typing import Any

import strawberry
from fastapi import FastAPI, Request
from strawberry.federation.schema_directives import Key
from strawberry.federation.types import FieldSet
from strawberry.types import Info

from reelstack.chassis.app import chassis_of
from reelstack.chassis.caller import Caller
from reelstack.chassis.subgraph import serve_subgraph, subgraph_schema
from reelstack.errors import NotFoundError
from reelstack.recommendations import service
from reelstack.recommendations.context import RecommendationsContext
from reelstack.recommendations.models import Item


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Title:
    id: strawberry.ID


@strawberry.federation.type(keys=[Key(fields=FieldSet("id"), resolvable=False)])
class Series:
    id: strawberry.ID


@strawberry.type
class RowItem:
    """A film or episode (``title``) or a whole series (``series``); one of the two is set."""

    title: Title | None
    series: Series | None
    progress: float | None

    @classmethod
    def of(cls, item: Item) -> RowItem:
        key = strawberry.ID(item.id)
        return cls(
            title=Title(id=key) if item.kind == "title" else None,
            series=Series(id=key) if item.kind == "series" else None,
            progress=item.progress,
        )


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
    """The profile's rows in page order; ``errors`` names the parts left out."""

    region: str
    maturity: str
    fallback: bool
    rows: list[Row]
    errors: list[PartError]


@strawberry.type
class Query:
    @strawberry.field
    async def home(self, info: Info[Any, Any]) -> Home | None:
        """The home page's rows for the token's profile."""
        request: Request = info.context["request"]
        caller = Caller.from_headers(request.headers)
        if caller.account is None or caller.profile is None:
            raise NotFoundError("no profile: the home page is a profile's (pick one)")
        ctx = chassis_of(request.app).context_as(RecommendationsContext)
        found = await service.home_rows(ctx=ctx, caller=caller)
        return Home(
            region=found.region,
            maturity=found.maturity,
            fallback=found.fallback,
            rows=[
                Row(id=row.id, name=row.name, items=[RowItem.of(i) for i in row.items])
                for row in found.rows
            ],
            errors=[PartError(part=e["part"], detail=e["detail"]) for e in found.errors],
        )


SCHEMA = subgraph_schema(query=Query, types=[Title, Series])


def serve(app: FastAPI) -> None:
    """Mount the recommendations subgraph on its app."""
    serve_subgraph(app, SCHEMA)
