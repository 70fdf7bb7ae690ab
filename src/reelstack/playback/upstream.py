"""What playback asks other services, through the instance's resilient client.

Catalog says whether the caller may see a title (maturity, region) and what
comes next; identity says what the plan allows; media says what was
published; history says where the profile stopped. Each call forwards the
caller's identity headers, so every service judges the same caller.
"""

from __future__ import annotations

import logging
import posixpath
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import quote

from reelstack.chassis.resilience.client import ResilientClient
from reelstack.chassis.resilience.response import Response
from reelstack.errors import NotFoundError, ReelstackError, UnavailableError
from reelstack.playback.models import Caller, PlanLimits, Playable
from reelstack.signed_urls import UrlSigner

log = logging.getLogger(__name__)

MEDIA_FILES = "/media/"
_MASTER_CACHE = 512
# A signature for playback's own read of a master playlist: it is used at once.
_OWN_READ_S = 60


class Upstreams(Protocol):
    """The questions a play start asks other services."""

    async def catalog_title(self, caller: Caller, title_id: str) -> dict[str, Any]:
        """Return catalog's view of the title for this caller; NotFoundError if it has none."""
        ...

    async def plan(self, caller: Caller) -> PlanLimits:
        """Return what the caller's plan allows."""
        ...

    async def playable(self, title_id: str) -> Playable:
        """Return what media published for the title; NotFoundError if it is not playable."""
        ...

    async def master(self, playable: Playable) -> str:
        """Return the title's published master playlist."""
        ...

    async def dash(self, playable: Playable) -> str:
        """Return the title's published DASH MPD (``playable.dash_name``)."""
        ...

    async def media_playlist(self, playable: Playable, uri: str) -> str:
        """Return one of the title's published media playlists (``uri`` relative to its folder)."""
        ...

    async def resume_s(self, caller: Caller, title_id: str) -> float:
        """Return where the profile stopped in the title (0 when unknown)."""
        ...


def _check(response: Response, what: str) -> Any:
    if response.status == 404:
        raise NotFoundError(f"no such {what}")
    if not response.ok:
        raise UnavailableError(f"{what}: the service answered {response.status}")
    return response.json()


@dataclass
class ServiceUpstreams:
    """:class:`Upstreams` over the resilient client (made on first use by the chassis)."""

    client: Callable[[], ResilientClient]
    signer: UrlSigner
    #: Seconds media's answer about a title is reused (0: ask every time).
    playable_ttl_s: float = 5.0
    clock: Callable[[], float] = time.monotonic
    _masters: OrderedDict[str, str] = field(default_factory=OrderedDict)
    _playables: OrderedDict[str, tuple[float, Playable]] = field(default_factory=OrderedDict)

    async def catalog_title(self, caller: Caller, title_id: str) -> dict[str, Any]:
        response = await self.client().request(
            "catalog", "GET", f"/catalog/titles/{quote(title_id)}", headers=caller.headers
        )
        found: dict[str, Any] = _check(response, "title")
        return found

    async def plan(self, caller: Caller) -> PlanLimits:
        response = await self.client().request(
            "identity", "GET", "/identity/accounts/me/plan", headers=caller.headers
        )
        data = _check(response, "account")
        return PlanLimits(
            name=str(data["name"]),
            max_streams=int(data["max_streams"]),
            max_height=None if data.get("max_height") is None else int(data["max_height"]),
        )

    async def playable(self, title_id: str) -> Playable:
        # What media published for a title is the same for every viewer and
        # changes when a title is published again or removed; a few seconds'
        # reuse spares media a read per play start of a popular title. A title
        # not (yet) playable is asked again every time, so a publish is seen at
        # once; a removal is seen within ``playable_ttl_s``.
        now = self.clock()
        cached = self._playables.get(title_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        found = await self._ask_playable(title_id)
        if self.playable_ttl_s > 0:
            self._playables[title_id] = (now + self.playable_ttl_s, found)
            self._playables.move_to_end(title_id)
            if len(self._playables) > _MASTER_CACHE:
                self._playables.popitem(last=False)
        return found

    async def _ask_playable(self, title_id: str) -> Playable:
        response = await self.client().request(
            "media", "GET", f"/api/media/titles/{quote(title_id)}"
        )
        data = _check(response, "title")
        master = data.get("master_url")
        if data.get("state") != "ready" or not isinstance(master, str):
            raise NotFoundError("the title is not playable yet")
        if not master.startswith(MEDIA_FILES):
            raise UnavailableError(f"media published the title outside {MEDIA_FILES}")
        folder, name = posixpath.split(master[len(MEDIA_FILES) :])
        dash = data.get("dash_url")
        dash_name = None
        # Only an MPD beside the master playlist: the same tokens' folder.
        if isinstance(dash, str) and posixpath.dirname(dash) == posixpath.dirname(master):
            dash_name = posixpath.basename(dash) or None
        intro = None
        if data.get("intro_start_s") is not None and data.get("intro_end_s") is not None:
            intro = (float(data["intro_start_s"]), float(data["intro_end_s"]))
        credits = data.get("credits_start_s")
        duration = data.get("duration_s")
        return Playable(
            title_id=title_id,
            folder=folder,
            master_name=name,
            intro=intro,
            credits_start_s=None if credits is None else float(credits),
            duration_s=None if duration is None else float(duration),
            dash_name=dash_name,
        )

    async def master(self, playable: Playable) -> str:
        return await self._published(playable.folder, playable.master_name)

    async def dash(self, playable: Playable) -> str:
        if playable.dash_name is None:
            raise NotFoundError("media published no DASH manifest for the title")
        return await self._published(playable.folder, playable.dash_name)

    async def media_playlist(self, playable: Playable, uri: str) -> str:
        if uri.startswith("/") or ":" in uri or ".." in uri.split("/"):
            raise UnavailableError(f"media's master playlist names {uri[:80]!r}")
        directory, name = posixpath.split(uri)
        return await self._published(posixpath.join(playable.folder, directory), name)

    async def _published(self, folder: str, name: str) -> str:
        # A job's folder is never rewritten (a new encode is a new job), so
        # its manifests are kept as long as there is room.
        key = f"{folder}/{name}"
        cached = self._masters.get(key)
        if cached is not None:
            self._masters.move_to_end(key)
            return cached
        path = self.signer.url(key, "", expires=int(time.time()) + _OWN_READ_S)
        response = await self.client().request("media", "GET", path)
        if not response.ok:
            raise UnavailableError(f"media answered {response.status} for {name}")
        text = response.body.decode("utf-8")
        self._masters[key] = text
        if len(self._masters) > _MASTER_CACHE:
            self._masters.popitem(last=False)
        return text

    async def resume_s(self, caller: Caller, title_id: str) -> float:
        path = f"/history/profiles/{quote(caller.profile)}/bookmarks/{quote(title_id)}"
        try:
            response = await self.client().request("history", "GET", path, headers=caller.headers)
        except ReelstackError as exc:
            # Starting at 0 beats not starting: the play goes on without it.
            log.warning("cannot read the bookmark of %s: %s", title_id, exc)
            return 0.0
        if response.status == 404:
            return 0.0
        if not response.ok:
            log.warning("history answered %s for a bookmark of %s", response.status, title_id)
            return 0.0
        data = response.json()
        # A title watched to its end starts again.
        if float(data.get("fraction", 0.0)) >= 0.9:
            return 0.0
        return float(data.get("position_s", 0.0))
