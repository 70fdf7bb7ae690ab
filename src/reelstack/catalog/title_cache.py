"""A process-local cache of whole titles for viewers' reads (docs/adr/0020, addendum).

A home page asks catalog for the same few dozen titles a hundred times a
second; reading and hydrating them from SQL each time (two queries, a few
dozen rows, SQLAlchemy's row handling) was most of a page's catalog CPU.
Titles change rarely and only through this service (media's announcements,
the studio's edits), so each instance keeps the titles it has read, whole
(published or not, every rating and region), and checks what a viewer may
see in Python with :func:`visible_to`, the same rule SQL applies
(``repository.visible``).

Freshness: every write of this instance (an announcement applied, a studio
edit) empties the cache before its use case returns, so a change is visible
to the next read here; another instance's writes are seen within
``catalog.title_cache_s`` (the entries' time to live). Bounded: at most
``max_entries`` titles, the oldest read dropped first.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence

from reelstack.catalog.models import Title, Viewer, allowed_ratings


def visible_to(title: Title, viewer: Viewer) -> bool:
    """Whether ``viewer`` may see ``title``: published and not withheld, an allowed rating,
    its region or any."""
    if not title.published or title.withheld:
        return False
    allowed = allowed_ratings(viewer.maturity)
    if allowed is not None and title.maturity_rating not in allowed:
        return False
    return not title.regions or viewer.region in title.regions


class TitleCache:
    """Whole titles by id, each kept for ``ttl_s`` seconds (0: nothing is kept).

    Entries are shared between requests: callers copy what they change
    (``Title`` holds lists).
    """

    def __init__(
        self,
        *,
        ttl_s: float,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl_s = ttl_s
        self.max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Title]] = OrderedDict()
        # Bumped by every invalidation: a read that started before a write
        # must not put what it read after the write emptied the cache.
        self._generation = 0

    @property
    def generation(self) -> int:
        """A number that changes with every invalidation (pass it back to :meth:`put`)."""
        return self._generation

    def get_many(self, ids: Sequence[str]) -> tuple[dict[str, Title], list[str]]:
        """The fresh entries of ``ids`` and the ids to read from the store."""
        found: dict[str, Title] = {}
        missing: list[str] = []
        now = self._clock()
        for title_id in ids:
            entry = self._entries.get(title_id)
            if entry is not None and entry[0] > now:
                found[title_id] = entry[1]
            else:
                missing.append(title_id)
        return found, missing

    def put(self, titles: Iterable[Title], *, generation: int) -> None:
        """Keep ``titles``, read when :attr:`generation` was ``generation``."""
        if self.ttl_s <= 0 or generation != self._generation:
            return
        expires = self._clock() + self.ttl_s
        for title in titles:
            self._entries[title.id] = (expires, title)
            self._entries.move_to_end(title.id)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self) -> None:
        """Forget every title (a write changed one, or several: series names are shared)."""
        self._generation += 1
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)
