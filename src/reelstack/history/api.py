"""Routes of the history service, under ``/history/profiles/{profile_id}``.

The caller is whoever the gateway's headers name (it removes a client's
own copies and sets them from a verified token). A route names a profile;
one that is not the token's profile is answered 404, as if it did not exist,
and rows are keyed by account and profile, so even a profile id guessed under
another account reaches only the caller's own (empty) partition.
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Response

from reelstack.chassis import caller as chassis_caller
from reelstack.chassis.route_deps import WideColumnDep
from reelstack.history import service
from reelstack.history.models import Caller, NextEpisodeLookup, TitleFilter
from reelstack.history.schemas import (
    ID_PATTERN,
    BookmarkOut,
    HeartbeatIn,
    HeartbeatOut,
    HistoryPage,
    NextUpItem,
    NextUpList,
    TitleList,
    Watching,
)

_ID = re.compile(ID_PATTERN)
NOT_FOUND = "no such profile"

ProfileId = Annotated[str, Path(pattern=ID_PATTERN)]
TitleId = Annotated[str, Path(pattern=ID_PATTERN)]
Limit = Annotated[int, Query(ge=1, le=100)]


async def get_caller(profile_id: ProfileId, who: chassis_caller.CallerDep) -> Caller:
    """Return the caller if the route's profile is the token's; 401 without an account."""
    if who.account is None or not _ID.match(who.account):
        # Only reachable by a request that did not come through the gateway.
        raise HTTPException(401, chassis_caller.NO_ACCOUNT)
    # A token for the account alone names no profile: it may not touch any
    # profile's rows (the identity service vouches for profile and account
    # together, by putting both in one token).
    if who.profile is None or who.profile != profile_id:
        raise HTTPException(404, NOT_FOUND)
    return Caller(account=who.account, profile=profile_id, maturity=who.maturity, region=who.region)


CallerDep = Annotated[Caller, Depends(get_caller)]


def make_router(*, lookup: NextEpisodeLookup, visible: TitleFilter) -> APIRouter:
    """Return the history routes: Next Up resolved through ``lookup``, lists through ``visible``."""
    router = APIRouter(prefix="/history/profiles/{profile_id}", tags=["history"])

    @router.put("/bookmarks/{title_id}")
    async def heartbeat(
        title_id: TitleId, beat: HeartbeatIn, caller: CallerDep, store: WideColumnDep
    ) -> HeartbeatOut:
        """Record a player heartbeat (the newest by client time wins)."""
        recorded = await service.record_heartbeat(
            store=store, caller=caller, heartbeat=beat.bookmark(title_id)
        )
        return HeartbeatOut(applied=recorded.applied, bookmark=BookmarkOut.of(recorded.bookmark))

    @router.get("/bookmarks/{title_id}")
    async def get_bookmark(
        title_id: TitleId, caller: CallerDep, store: WideColumnDep
    ) -> BookmarkOut:
        """Return where the profile stands in a title (404 if it never played it)."""
        mark = await service.bookmark(store=store, caller=caller, title_id=title_id)
        if mark is None:
            raise HTTPException(404, "no bookmark for this title")
        return BookmarkOut.of(mark)

    @router.get("/history")
    async def history(
        caller: CallerDep,
        store: WideColumnDep,
        limit: Limit = 20,
        cursor: Annotated[str | None, Query(max_length=200)] = None,
    ) -> HistoryPage:
        """List the titles the profile watched, newest first, a page at a time."""
        page = await service.history(
            store=store, caller=caller, visible=visible, limit=limit, cursor=cursor
        )
        return HistoryPage(items=[BookmarkOut.of(m) for m in page.items], cursor=page.cursor)

    @router.get("/continue-watching")
    async def continue_watching(
        caller: CallerDep, store: WideColumnDep, limit: Limit = 20
    ) -> TitleList:
        """List the titles between 5% and 90% watched, newest first."""
        marks = await service.continue_watching(
            store=store, caller=caller, visible=visible, limit=limit
        )
        return TitleList(items=[BookmarkOut.of(m) for m in marks])

    @router.get("/watching")
    async def watching(caller: CallerDep, store: WideColumnDep, limit: Limit = 20) -> Watching:
        """Continue Watching (``limit`` titles) and the title watched last, in one request.

        The two answers of ``/continue-watching`` and ``/history?limit=1``: the
        home page needs both, and one request costs both services less than two.
        """
        marks, last = await asyncio.gather(
            service.continue_watching(store=store, caller=caller, visible=visible, limit=limit),
            service.history(store=store, caller=caller, visible=visible, limit=1),
        )
        return Watching(
            continue_watching=[BookmarkOut.of(m) for m in marks],
            last_watched=BookmarkOut.of(last.items[0]) if last.items else None,
        )

    @router.get("/next-up")
    async def next_up(caller: CallerDep, store: WideColumnDep, limit: Limit = 20) -> NextUpList:
        """List, per series, the episode after the last one finished, newest first."""
        entries = await service.next_up(
            store=store, caller=caller, lookup=lookup, visible=visible, limit=limit
        )
        return NextUpList(items=[NextUpItem.of(entry) for entry in entries])

    @router.delete("/titles/{title_id}", status_code=204)
    async def remove(title_id: TitleId, caller: CallerDep, store: WideColumnDep) -> Response:
        """Remove a title from the profile's history (idempotent)."""
        await service.remove(store=store, caller=caller, title_id=title_id)
        return Response(status_code=204)

    return router
