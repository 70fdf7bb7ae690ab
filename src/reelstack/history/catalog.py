"""Next Up's episodes and the titles a profile may see, from the catalog, asked as the caller.

Catalog knows a series' seasons and episodes and what each profile may see;
history asks it, through the instance's resilient client, with the caller's
identity headers forwarded (so a kids profile is never offered a mature
episode, nor one unavailable in its region). A catalog that does not answer
leaves that series out of Next Up for this request rather than failing the
whole list; one that cannot say which titles a restricted profile may see
fails the list instead (:class:`CatalogTitleFilter`: nothing is shown unchecked).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from urllib.parse import quote, urlencode

from reelstack.chassis.resilience.client import ResilientClient
from reelstack.errors import ReelstackError, UnavailableError
from reelstack.history.models import Caller, Episode, NextEpisode

log = logging.getLogger(__name__)


class CatalogLookup:
    """A :class:`~reelstack.history.models.NextEpisodeLookup` asking catalog."""

    def __init__(self, client: Callable[[], ResilientClient] | None = None) -> None:
        # Set once the app (and its chassis) exists.
        self.client = client

    async def __call__(self, episode: Episode, caller: Caller) -> NextEpisode | None:
        if self.client is None:
            raise RuntimeError("CatalogLookup used before its client was set")
        query = urlencode({"season": episode.season, "episode": episode.episode})
        path = f"/catalog/series/{quote(episode.series_id, safe='')}/next?{query}"
        try:
            response = await self.client().request("catalog", "GET", path, headers=caller.headers())
        except ReelstackError as exc:
            log.warning("next up: catalog did not answer for series %s: %s", episode.series_id, exc)
            return None
        if response.status == 404:
            return None  # the series ends there, or the rest is not for this profile
        if not response.ok:
            log.warning(
                "next up: catalog answered %s for series %s", response.status, episode.series_id
            )
            return None
        data = response.json()
        season = data.get("season")
        number = data.get("episode")
        title_id = data.get("id")
        if (
            not isinstance(season, int)
            or not isinstance(number, int)
            or not isinstance(title_id, str)
        ):
            log.warning("next up: catalog's answer for series %s lacks numbers", episode.series_id)
            return None
        return NextEpisode(episode.series_id, season, number, title_id)


class CatalogTitleFilter:
    """A :class:`~reelstack.history.models.TitleFilter` asking catalog which titles it shows.

    Catalog's ``GET /catalog/titles?ids=...`` answers, as the caller, only
    the titles the caller's maturity and region admit. Its failure is the
    list's failure (:class:`UnavailableError`): a kids profile gets an error
    rather than a list nobody checked.
    """

    def __init__(self, client: Callable[[], ResilientClient] | None = None) -> None:
        self.client = client

    async def __call__(self, title_ids: Sequence[str], caller: Caller) -> set[str]:
        if self.client is None:
            raise RuntimeError("CatalogTitleFilter used before its client was set")
        if not title_ids:
            return set()
        path = f"/catalog/titles?{urlencode({'ids': ','.join(title_ids)})}"
        response = await self.client().request("catalog", "GET", path, headers=caller.headers())
        if not response.ok:
            raise UnavailableError(
                f"catalog answered {response.status} when asked which titles a profile may see"
            )
        items = response.json().get("items")
        if not isinstance(items, list):
            raise UnavailableError("catalog's title list has no items")
        return {str(item["id"]) for item in items if isinstance(item, dict) and "id" in item}
