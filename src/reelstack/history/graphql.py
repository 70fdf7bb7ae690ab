"""History's subgraph: a profile's progress on any title, continue watching, next up, history.

``Title`` is the catalog's entity (``@key(fields: "id")``); history adds the
profile's ``progress`` to it, resolved for all the titles of a page in one
batch per request. Lists return titles by key, and the router asks catalog
for their names and artwork (in one batch too). Every resolver acts for the
profile of the gateway's token (none: an error, as REST answers 404), with
the same use cases as the REST routes. Heartbeats stay on REST: the player's
hot path has no use for a query language.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Sequence
from datetime import datetime
from typing import Any

import strawberry
from fastapi import FastAPI, Request
from pydantic import ValidationError
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from reelstack.chassis.caller import Caller as GatewayCaller
from reelstack.chassis.route_deps import chassis_for
from reelstack.chassis.subgraph import serve_subgraph, subgraph_schema
from reelstack.errors import InvalidRequestError, NotFoundError
from reelstack.history import service
from reelstack.history.models import Bookmark, Caller, NextEpisodeLookup, TitleFilter
from reelstack.history.schemas import ID_PATTERN, HeartbeatIn
from reelstack.ports import WideColumnStore

_ID = re.compile(ID_PATTERN)
MAX_LIMIT = 100


class _Scope:
    """One request's caller, store and progress loader."""

    def __init__(
        self,
        store: WideColumnStore,
        caller: Caller,
        lookup: NextEpisodeLookup,
        visible: TitleFilter,
    ) -> None:
        self.store = store
        self.caller = caller
        self.lookup = lookup
        self.visible = visible
        self.progress: DataLoader[str, Bookmark | None] = DataLoader(load_fn=self._load)

    async def _load(self, ids: list[str]) -> Sequence[Bookmark | None]:
        return await service.bookmarks_of(store=self.store, caller=self.caller, title_ids=ids)


def _scope(info: Info[Any, Any]) -> _Scope:
    request: Request = info.context["request"]
    scope = getattr(request.state, "history_scope", None)
    if scope is None:
        who = GatewayCaller.from_headers(request.headers)
        if who.account is None or who.profile is None:
            raise NotFoundError("no profile: history is a profile's (sign in and pick one)")
        caller = Caller(
            account=who.account, profile=who.profile, maturity=who.maturity, region=who.region
        )
        chassis = chassis_for(request)
        store: WideColumnStore = chassis.dependencies.get("widecolumn")
        lookup: NextEpisodeLookup = request.app.state.history_lookup
        visible: TitleFilter = request.app.state.history_visible
        scope = _Scope(store, caller, lookup, visible)
        request.state.history_scope = scope
    assert isinstance(scope, _Scope)
    return scope


def _limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit is 1 to {MAX_LIMIT}")
    return limit


@strawberry.type
class Progress:
    """Where the profile stands in a title."""

    position_s: float
    duration_s: float
    fraction: float
    device: str
    watched_at: datetime

    @classmethod
    def of(cls, mark: Bookmark) -> Progress:
        return cls(
            position_s=mark.position_s,
            duration_s=mark.duration_s,
            fraction=mark.fraction,
            device=mark.device,
            watched_at=mark.watched_at,
        )


@strawberry.federation.type(keys=["id"])
class Title:
    id: strawberry.ID
    # The bookmark read with a batch of references (one tuple: None is "never played").
    read: strawberry.Private[tuple[Bookmark | None] | None] = None

    @classmethod
    def resolve_reference(cls, id: strawberry.ID) -> Title:
        return cls(id=id)

    @classmethod
    async def resolve_references(cls, info: Info[Any, Any], ids: list[str]) -> list[Title]:
        """A page's titles at once: their bookmarks in one read, no task per title.

        Progress is all history adds to a title, so the router asks for these
        only to read it. Without a profile each title's progress fails alone.
        """
        try:
            marks = await _scope(info).progress.load_many([str(i) for i in ids])
        except NotFoundError:
            return [cls(id=strawberry.ID(i)) for i in ids]
        return [cls(id=strawberry.ID(i), read=(m,)) for i, m in zip(ids, marks, strict=True)]

    # The schema's type is given apart: the resolver may also hand back an
    # awaitable (strawberry.field's overload for that is untyped).
    @strawberry.field(graphql_type=Progress | None)  # type: ignore[untyped-decorator]
    def progress(self, info: Info[Any, Any]) -> Progress | Awaitable[Progress | None] | None:
        """The profile's progress in the title (null: never played)."""
        if self.read is not None:
            # Read with the batch: answered at once. An async resolver would
            # cost a coroutine and a task per title of the page.
            mark = self.read[0]
            return None if mark is None else Progress.of(mark)
        return self._load_progress(info)  # an awaitable, which the executor awaits

    async def _load_progress(self, info: Info[Any, Any]) -> Progress | None:
        mark = await _scope(info).progress.load(str(self.id))
        return None if mark is None else Progress.of(mark)


@strawberry.type
class Watched:
    title: Title
    progress: Progress

    @classmethod
    def of(cls, mark: Bookmark) -> Watched:
        # The title's progress is this very bookmark: no second read for it.
        title = Title(id=strawberry.ID(mark.title_id), read=(mark,))
        return cls(title=title, progress=Progress.of(mark))


@strawberry.type
class HistoryPage:
    items: list[Watched]
    cursor: str | None


@strawberry.type
class NextUpEntry:
    """The episode to play next, and the one finished before it."""

    title: Title
    after: Watched


@strawberry.type
class Query:
    @strawberry.field
    async def continue_watching(
        self, info: Info[Any, Any], limit: int = 20
    ) -> list[Watched] | None:
        """Titles between 5% and 90% watched, newest first."""
        scope = _scope(info)
        marks = await service.continue_watching(
            store=scope.store, caller=scope.caller, visible=scope.visible, limit=_limit(limit)
        )
        return [Watched.of(mark) for mark in marks]

    @strawberry.field
    async def viewing_history(
        self, info: Info[Any, Any], limit: int = 20, cursor: str | None = None
    ) -> HistoryPage | None:
        """Titles the profile watched, newest first, a page at a time."""
        if cursor is not None and len(cursor) > 200:
            raise InvalidRequestError("cursor is at most 200 characters")
        scope = _scope(info)
        page = await service.history(
            store=scope.store,
            caller=scope.caller,
            visible=scope.visible,
            limit=_limit(limit),
            cursor=cursor,
        )
        return HistoryPage(items=[Watched.of(m) for m in page.items], cursor=page.cursor)

    @strawberry.field
    async def next_up(self, info: Info[Any, Any], limit: int = 20) -> list[NextUpEntry] | None:
        """Per series, the episode after the last one finished, newest first."""
        scope = _scope(info)
        entries = await service.next_up(
            store=scope.store,
            caller=scope.caller,
            lookup=scope.lookup,
            visible=scope.visible,
            limit=_limit(limit),
        )
        return [
            NextUpEntry(title=Title(id=strawberry.ID(e.next.title_id)), after=Watched.of(e.after))
            for e in entries
            if e.next.title_id is not None
        ]


@strawberry.input
class BookmarkInput:
    """Where a player stands in a title, by the client's clock (as REST's heartbeat body)."""

    position_s: float
    duration_s: float
    device: str
    watched_at: datetime


def _heartbeat(bookmark: BookmarkInput) -> HeartbeatIn:
    """The REST body's checks on the graph's input: the same limits, the same words."""
    try:
        return HeartbeatIn(
            position_s=bookmark.position_s,
            duration_s=bookmark.duration_s,
            device=bookmark.device,
            watched_at=bookmark.watched_at,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "bookmark"
        raise InvalidRequestError(f"bookmark {where}: {first['msg']}") from None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def save_bookmark(
        self, info: Info[Any, Any], title_id: strawberry.ID, bookmark: BookmarkInput
    ) -> bool:
        """Record where the profile stands in a title (the newest by client time wins);
        false when a newer bookmark already stands."""
        if not _ID.match(str(title_id)):
            raise InvalidRequestError(f"{str(title_id)[:64]!r} is not a title id")
        beat = _heartbeat(bookmark)
        scope = _scope(info)
        recorded = await service.record_heartbeat(
            store=scope.store, caller=scope.caller, heartbeat=beat.bookmark(str(title_id))
        )
        return recorded.applied

    @strawberry.mutation
    async def remove_from_history(self, info: Info[Any, Any], title_id: strawberry.ID) -> bool:
        """Remove a title from the profile's history (true even if it was not there)."""
        if not _ID.match(str(title_id)):
            raise InvalidRequestError(f"{str(title_id)[:64]!r} is not a title id")
        scope = _scope(info)
        await service.remove(store=scope.store, caller=scope.caller, title_id=str(title_id))
        return True


SCHEMA = subgraph_schema(query=Query, mutation=Mutation, types=[Title])


def serve(app: FastAPI, lookup: NextEpisodeLookup, visible: TitleFilter) -> None:
    """Mount history's subgraph on its app; Next Up asks ``lookup``, lists ``visible``."""
    app.state.history_lookup = lookup
    app.state.history_visible = visible
    serve_subgraph(app, SCHEMA)
