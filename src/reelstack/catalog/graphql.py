"""The catalog's subgraph: titles and series as federation entities, browse, search, My List.

Every resolver calls the same use cases as the REST routes (``service``), as
the caller the gateway named (``x-maturity``, ``x-region``, the profile), so
a kids profile gets through GraphQL exactly what it gets through REST: a
title it may not see resolves to ``null``, as one that does not exist.

Entities are resolved in batches: the router asks for many titles at once
(``_entities``), and one DataLoader per request turns them into one query
(``service.titles_by_ids``), whatever the number of rows and titles on the
page. Whether a title is on the profile's list is read once per request.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import Enum
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from reelstack.catalog import service
from reelstack.catalog.api import get_viewer
from reelstack.catalog.context import CatalogContext
from reelstack.catalog.models import Series as SeriesModel
from reelstack.catalog.models import Title as TitleModel
from reelstack.catalog.models import TitleKind, Viewer
from reelstack.catalog.schemas import ID_PATTERN
from reelstack.chassis.app import chassis_of
from reelstack.chassis.caller import Caller
from reelstack.chassis.subgraph import serve_subgraph, subgraph_schema
from reelstack.errors import InvalidRequestError, NotFoundError

MAX_IDS = 100
_ID = re.compile(ID_PATTERN)
SeriesRead = tuple[SeriesModel, list[tuple[int | None, list[TitleModel]]]]
"""A series and its seasons' episodes, as ``service.get_series`` reads them for a viewer."""
MAX_PAGE = 100
MAX_QUERY = 100


class _Scope:
    """What one request's resolvers share: the context, the viewer, the loaders."""

    def __init__(self, ctx: CatalogContext, viewer: Viewer) -> None:
        self.ctx = ctx
        self.viewer = viewer
        self.titles: DataLoader[str, TitleModel | None] = DataLoader(load_fn=self._load)
        self._listed: set[str] | None = None

    async def _load(self, ids: list[str]) -> Sequence[TitleModel | None]:
        found = await service.titles_by_ids(ctx=self.ctx, viewer=self.viewer, ids=ids)
        by_id = {title.id: title for title in found}
        return [by_id.get(title_id) for title_id in ids]

    async def listed(self) -> set[str]:
        """The ids on the profile's list (read once per request; empty without a profile)."""
        if self._listed is None:
            if self.viewer.account is None or self.viewer.profile is None:
                self._listed = set()
            else:
                self._listed = {
                    t.id for t in await service.my_list(ctx=self.ctx, viewer=self.viewer)
                }
        return self._listed


async def _scope(info: Info[Any, Any]) -> _Scope:
    request: Request = info.context["request"]
    scope = getattr(request.state, "catalog_scope", None)
    if scope is None:
        ctx = chassis_of(request.app).context_as(CatalogContext)
        viewer = await get_viewer(ctx, Caller.from_headers(request.headers))
        scope = _Scope(ctx, viewer)
        request.state.catalog_scope = scope
    assert isinstance(scope, _Scope)
    return scope


def _check_id(value: str) -> str:
    if not _ID.match(value):
        raise InvalidRequestError(f"{value[:64]!r} is not a title id")
    return value


@strawberry.type
class Artwork:
    poster: str | None
    backdrop: str | None


@strawberry.type
class CastMember:
    person_id: strawberry.ID
    name: str
    role: str
    character: str | None


@strawberry.enum
class Thumb(Enum):
    UP = "up"
    DOWN = "down"
    NONE = "none"


_THUMB_VALUES = {Thumb.UP: 1, Thumb.DOWN: -1, Thumb.NONE: 0}
_THUMBS = {value: thumb for thumb, value in _THUMB_VALUES.items()}


@strawberry.federation.type(keys=["id"], description="A film or an episode of a series.")
class Title:
    id: strawberry.ID
    kind: str
    name: str
    synopsis: str
    genres: list[str]
    maturity_rating: str
    regions: list[str]
    season: int | None
    episode: int | None
    duration_s: float | None
    artwork: Artwork
    cast: list[CastMember]
    series_id: strawberry.Private[str | None]
    series_name: strawberry.Private[str | None]

    @classmethod
    def of(cls, title: TitleModel, ctx: CatalogContext) -> Title:
        return cls(
            id=strawberry.ID(title.id),
            kind=title.kind.value,
            name=title.name,
            synopsis=title.synopsis,
            genres=list(title.genres),
            maturity_rating=title.maturity_rating,
            regions=list(title.regions),
            season=title.season,
            episode=title.episode,
            duration_s=title.duration_s,
            artwork=Artwork(
                poster=ctx.url_for(title.poster_key), backdrop=ctx.url_for(title.backdrop_key)
            ),
            cast=[
                CastMember(
                    person_id=strawberry.ID(c.person_id),
                    name=c.name,
                    role=c.role.value,
                    character=c.character,
                )
                for c in title.cast
            ],
            series_id=title.series_id,
            series_name=title.series_name,
        )

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Title | None:
        scope = await _scope(info)
        found = await scope.titles.load(str(id))
        return None if found is None else cls.of(found, scope.ctx)

    @classmethod
    async def resolve_references(cls, info: Info[Any, Any], ids: list[str]) -> list[Title | None]:
        """Many titles at once (a page's rows): one batch read, no task per title."""
        scope = await _scope(info)
        found = await scope.titles.load_many([str(i) for i in ids])
        made: dict[str, Title] = {}
        out: list[Title | None] = []
        for title in found:
            if title is None:
                out.append(None)
            else:
                # A title listed in several rows is built once.
                if title.id not in made:
                    made[title.id] = cls.of(title, scope.ctx)
                out.append(made[title.id])
        return out

    @strawberry.field
    def series(self) -> Series | None:
        """The series an episode belongs to (null for a film)."""
        if self.series_id is None:
            return None
        return Series(id=strawberry.ID(self.series_id), name=self.series_name or "")

    @strawberry.field
    async def next_episode(self, info: Info[Any, Any]) -> Title | None:
        """The next episode the profile may see (null: none)."""
        if self.series_id is None:
            return None
        scope = await _scope(info)
        _, following = await service.get_title(ctx=scope.ctx, viewer=scope.viewer, title_id=self.id)
        if following is None:
            return None
        found = await scope.titles.load(following)
        return None if found is None else Title.of(found, scope.ctx)

    @strawberry.field
    async def in_my_list(self, info: Info[Any, Any]) -> bool:
        """Whether the title is on the profile's list."""
        return str(self.id) in await (await _scope(info)).listed()

    @strawberry.field
    async def thumb(self, info: Info[Any, Any]) -> Thumb:
        """The profile's thumb on the title."""
        scope = await _scope(info)
        if scope.viewer.profile is None:
            return Thumb.NONE
        value = await service.thumb(ctx=scope.ctx, viewer=scope.viewer, title_id=str(self.id))
        return _THUMBS[value]


@strawberry.type
class Season:
    number: int | None
    episodes: list[Title]


@strawberry.federation.type(keys=["id"], description="A series: its seasons and episodes.")
class Series:
    id: strawberry.ID
    name: str
    # The series and its seasons as read for this viewer, when already read
    # (a reference): synopsis and seasons then read nothing again.
    read: strawberry.Private[SeriesRead | None] = None

    @classmethod
    async def resolve_reference(cls, info: Info[Any, Any], id: strawberry.ID) -> Series | None:
        scope = await _scope(info)
        try:
            read = await service.get_series(ctx=scope.ctx, viewer=scope.viewer, series_id=id)
        except NotFoundError:
            return None
        return cls(id=strawberry.ID(read[0].id), name=read[0].name, read=read)

    async def _read(self, scope: _Scope) -> SeriesRead:
        if self.read is None:
            self.read = await service.get_series(
                ctx=scope.ctx, viewer=scope.viewer, series_id=str(self.id)
            )
        return self.read

    @strawberry.field
    async def synopsis(self, info: Info[Any, Any]) -> str:
        found, _ = await self._read(await _scope(info))
        return found.synopsis

    @strawberry.field
    async def seasons(self, info: Info[Any, Any]) -> list[Season]:
        """Seasons in order, with the episodes the profile may see."""
        scope = await _scope(info)
        _, seasons = await self._read(scope)
        return [
            Season(number=number, episodes=[Title.of(t, scope.ctx) for t in episodes])
            for number, episodes in seasons
        ]


@strawberry.type
class TitlePage:
    total: int
    items: list[Title]


@strawberry.type
class Genre:
    name: str
    count: int


@strawberry.type
class Query:
    @strawberry.field
    async def title(self, info: Info[Any, Any], id: strawberry.ID) -> Title | None:
        """A title (null if it does not exist or the profile may not see it)."""
        scope = await _scope(info)
        found = await scope.titles.load(_check_id(str(id)))
        return None if found is None else Title.of(found, scope.ctx)

    @strawberry.field
    async def titles(self, info: Info[Any, Any], ids: list[strawberry.ID]) -> list[Title] | None:
        """Titles by id, in the order asked, those the profile may see."""
        if len(ids) > MAX_IDS:
            raise InvalidRequestError(f"ids takes at most {MAX_IDS} title ids")
        scope = await _scope(info)
        found = await scope.titles.load_many([_check_id(str(i)) for i in ids])
        return [Title.of(t, scope.ctx) for t in found if t is not None]

    @strawberry.field
    async def series(self, info: Info[Any, Any], id: strawberry.ID) -> Series | None:
        """A series (null if the profile may see none of its episodes)."""
        return await Series.resolve_reference(info, strawberry.ID(_check_id(str(id))))

    @strawberry.field
    async def browse(
        self,
        info: Info[Any, Any],
        genre: str | None = None,
        kind: str | None = None,
        limit: int = 20,
        offset: int = 0,
    ) -> TitlePage | None:
        """The titles the profile may see, by name."""
        if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= 100_000:
            raise InvalidRequestError(f"limit is 1 to {MAX_PAGE}, offset 0 to 100000")
        if genre is not None and not 1 <= len(genre) <= 40:
            raise InvalidRequestError("genre is 1 to 40 characters")
        try:
            title_kind = None if kind is None else TitleKind(kind)
        except ValueError:
            raise InvalidRequestError("kind is film or episode") from None
        scope = await _scope(info)
        found, total = await service.browse(
            ctx=scope.ctx,
            viewer=scope.viewer,
            genre=genre,
            kind=title_kind,
            limit=limit,
            offset=offset,
        )
        return TitlePage(total=total, items=[Title.of(t, scope.ctx) for t in found])

    @strawberry.field
    async def search(self, info: Info[Any, Any], query: str, limit: int = 20) -> list[Title] | None:
        """Search as you type; typos are forgiven."""
        if not 1 <= len(query) <= MAX_QUERY or not 1 <= limit <= 50:
            raise InvalidRequestError(f"query is 1 to {MAX_QUERY} characters, limit 1 to 50")
        scope = await _scope(info)
        found = await service.find(ctx=scope.ctx, viewer=scope.viewer, query=query, limit=limit)
        return [Title.of(t, scope.ctx) for t in found]

    @strawberry.field
    async def genres(self, info: Info[Any, Any]) -> list[Genre] | None:
        """Genres with titles the profile may see."""
        scope = await _scope(info)
        found = await service.genres(ctx=scope.ctx, viewer=scope.viewer)
        return [Genre(name=name, count=count) for name, count in found]

    @strawberry.field
    async def my_list(self, info: Info[Any, Any]) -> list[Title] | None:
        """The profile's list, in the order titles were added."""
        scope = await _scope(info)
        found = await service.my_list(ctx=scope.ctx, viewer=scope.viewer)
        return [Title.of(t, scope.ctx) for t in found]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def add_to_my_list(self, info: Info[Any, Any], title_id: strawberry.ID) -> bool:
        """Put a title on the profile's list; true if it was new there."""
        scope = await _scope(info)
        return await service.add_to_list(
            ctx=scope.ctx, viewer=scope.viewer, title_id=_check_id(str(title_id))
        )

    @strawberry.mutation
    async def remove_from_my_list(self, info: Info[Any, Any], title_id: strawberry.ID) -> bool:
        """Take a title off the profile's list."""
        scope = await _scope(info)
        await service.remove_from_list(
            ctx=scope.ctx, viewer=scope.viewer, title_id=_check_id(str(title_id))
        )
        return True

    @strawberry.mutation
    async def rate_title(
        self, info: Info[Any, Any], title_id: strawberry.ID, thumb: Thumb
    ) -> Thumb:
        """Set or clear the profile's thumb on a title."""
        scope = await _scope(info)
        await service.set_thumb(
            ctx=scope.ctx,
            viewer=scope.viewer,
            title_id=_check_id(str(title_id)),
            value=_THUMB_VALUES[thumb],
        )
        return thumb


SCHEMA = subgraph_schema(query=Query, mutation=Mutation, types=[Title, Series])


def serve(app: FastAPI) -> None:
    """Mount the catalog's subgraph on its app."""
    serve_subgraph(app, SCHEMA)
