"""The home page's answers, kept a few seconds per caller in the router instance (ADR 0019).

A home page costs about 50 CPU ms over the router's Node and four subgraphs;
two cores answer about 40 a second. A viewer's page barely changes from one
second to the next, so the router instance keeps each caller's answer to
the web app's ``Home`` operation (the persisted document named ``Home``,
nothing else) for ``router.home_cache_s`` and answers repeats from memory,
before Hive Gateway is asked at all.

What keys an answer: the request body as sent (document id and variables)
and every identity header the subgraphs see (account, profile, roles,
maturity, region), plus ``Accept`` (it chooses the content type). Two
profiles, two maturities or two regions never share an entry; a request
without an account or a profile is never cached.

What is never kept: an answer that is not a 200, that has top-level
``errors``, or whose root fields report a missing part (``errors`` listed
in them, or ``fallback`` rows): a page missing a subgraph's part is asked
for again next time.

Invalidation: any request of the same account that is not a persisted query
(a persisted mutation, any document sent as text, anything unreadable)
drops all of that account's pages, before it is forwarded and again after
its answer; a page whose fetch overlapped such a request is not stored (a
per-account generation), so a mutation's effect shows on the next Home.
The router runs several instances behind the gateway's balancer, so a write
also leaves a mark in the shared cache port (``router:home-writes:<account>``,
a fresh value per write); a kept page is served only while the mark it was
fetched under is still the current one (one cache read per hit). Writes made
outside the graph (REST heartbeats, other accounts' actions) show within the
TTL.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections import OrderedDict
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
from graphql import GraphQLError, OperationDefinitionNode, OperationType, parse

from reelstack.errors import ReelstackError
from reelstack.ports import Cache

log = logging.getLogger(__name__)

HOME_OPERATION = "Home"
# The headers that shape a page: who asks, as the gateway vouches for them.
KEY_HEADERS = ("x-account-id", "x-profile-id", "x-roles", "x-maturity", "x-region", "accept")
PERSISTED_PREFIX = "sha256:"
MAX_ACCOUNTS_TRACKED = 100_000
# A page asked for after this share of its life is served and fetched again
# behind the answer: a viewer who keeps asking is never the one who waits.
REFRESH_AT = 0.75
MARK_PREFIX = "router:home-writes:"
# Far longer than any page is kept: a mark that expired reads as "written" to
# a page fetched under a mark (safe), never the other way round.
MARK_TTL_S = 3600.0
# Ids longer than this (or holding spaces) are not cache keys; the gateway's never are.
MAX_ACCOUNT_CHARS = 200


class Unknown:
    """A mark that could not be read: it matches nothing, so nothing is kept or served under it."""


Mark = bytes | None | Unknown


@dataclass(frozen=True)
class Documents:
    """The persisted documents' ids the cache tells apart."""

    home: frozenset[str]
    queries: frozenset[str]

    @classmethod
    def of(cls, manifest: Mapping[str, str]) -> Documents:
        """Sort a manifest (``{id: text}``): the ``Home`` queries, and every query.

        A document whose text does not parse, or that holds more than one
        operation, counts as neither (so it invalidates, the safe side).
        """
        home: set[str] = set()
        queries: set[str] = set()
        for key, text in manifest.items():
            try:
                document = parse(text)
            except GraphQLError:
                log.warning("persisted document %s does not parse; never cached", key)
                continue
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            if len(operations) != 1 or operations[0].operation != OperationType.QUERY:
                continue
            queries.add(key)
            name = operations[0].name
            if name is not None and name.value == HOME_OPERATION:
                home.add(key)
        return cls(home=frozenset(home), queries=frozenset(queries))


def usable(account: str) -> bool:
    """Whether an account id can name cache entries and a shared mark (the gateway's can)."""
    return 0 < len(account) <= MAX_ACCOUNT_CHARS and account.isprintable() and " " not in account


def persisted_id(body: bytes) -> str | None:
    """The persisted document a GraphQL body names (``documentId`` or Apollo's hash), else None."""
    try:
        request = orjson.loads(body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(request, dict) or "query" in request:
        return None
    named = request.get("documentId")
    if isinstance(named, str):
        return named.removeprefix(PERSISTED_PREFIX)
    extensions = request.get("extensions")
    if isinstance(extensions, dict):
        apollo = extensions.get("persistedQuery")
        if isinstance(apollo, dict) and isinstance(apollo.get("sha256Hash"), str):
            return str(apollo["sha256Hash"])
    return None


def is_whole(status: int, content: bytes) -> bool:
    """Whether an answer may be kept: a 200 with data, no errors, no part missing or stood in."""
    if status != 200:
        return False
    try:
        answer = orjson.loads(content)
    except orjson.JSONDecodeError:
        return False
    if not isinstance(answer, dict) or answer.get("errors") or not answer.get("data"):
        return False
    data = answer["data"]
    if not isinstance(data, dict):
        return False
    for value in data.values():
        if value is None:
            return False
        if isinstance(value, dict) and (value.get("errors") or value.get("fallback")):
            return False
    return True


@dataclass(frozen=True)
class Answer:
    """One kept answer: what Hive Gateway said, byte for byte."""

    content: bytes
    status: int
    media_type: str
    expires: float
    mark: bytes | None
    # From then on a hit also fetches the page again in the background.
    refresh_at: float = float("inf")


Key = tuple[bytes, tuple[str, ...]]


@dataclass(frozen=True)
class Flight:
    """A page being fetched: the generation and mark it was asked under, and its answer to come."""

    generation: tuple[int, int]
    mark: Mark
    answer: asyncio.Future[Answer | None]


@dataclass
class HomeCache:
    """Per-caller home pages for ``ttl_s()`` seconds (0: off), at most ``max_bytes`` of bodies."""

    documents: Documents
    ttl_s: Callable[[], float]
    max_bytes: int
    # Where writes leave their mark for the other router instances (None: this one alone).
    shared: Cache | None = None
    clock: Callable[[], float] = time.monotonic
    # Each page is kept between half the TTL and all of it: pages first asked
    # together (a burst of viewers, a restart) then expire apart, not as one herd.
    spread: Callable[[], float] = random.random
    # Pages being fetched: a caller asking for one already on its way waits for it.
    # Only one asked under the same generation and mark is shared (no write since).
    flights: dict[Key, Flight] = field(default_factory=dict)
    _entries: OrderedDict[Key, Answer] = field(default_factory=OrderedDict)
    _by_account: dict[str, set[Key]] = field(default_factory=dict)
    _generation: dict[str, int] = field(default_factory=dict)
    # Bumped when _generation is emptied (it would grow by every account that
    # ever wrote): every page in flight then is refused once, never a stale one kept.
    _epoch: int = 0
    _bytes: int = 0
    _tasks: set[asyncio.Task[object]] = field(default_factory=set)

    def key(self, body: bytes, headers: Mapping[str, str]) -> Key | None:
        """The entry a request would use: None unless it is a cacheable Home of a known profile."""
        if self.ttl_s() <= 0:
            return None
        account = headers.get("x-account-id", "")
        if not usable(account) or not headers.get("x-profile-id"):
            return None
        if persisted_id(body) not in self.documents.home:
            return None
        return body, tuple(headers.get(name, "") for name in KEY_HEADERS)

    def changes(self, body: bytes) -> bool:
        """Whether a request may change what a page shows.

        A persisted query does not; nor does a text document without the word
        ``mutation`` (an operation that writes must be declared with it; the
        word in a string or a comment only costs a needless drop). Anything
        else (persisted mutations, unknown ids, batches, unreadable bodies) may.
        """
        if persisted_id(body) in self.documents.queries:
            return False
        try:
            request = orjson.loads(body)
        except orjson.JSONDecodeError:
            return True
        if isinstance(request, dict) and isinstance(request.get("query"), str):
            return "mutation" in request["query"]
        return True

    def due(self, answer: Answer) -> bool:
        """Whether a kept page should be fetched again behind the answer it gives."""
        return self.clock() >= answer.refresh_at

    def behind(self, work: Coroutine[Any, Any, object]) -> None:
        """Run a refresh in the background, holding it until done and logging its failure."""
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._refreshed)

    def _refreshed(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.warning("home cache: a page's refresh failed: %s", task.exception())

    def get(self, key: Key) -> Answer | None:
        """The kept answer, if still within its TTL (:meth:`lookup` checks the mark too)."""
        answer = self._entries.get(key)
        if answer is not None and answer.expires > self.clock():
            return answer
        if answer is not None:
            self._drop(key)
        return None

    async def lookup(self, key: Key) -> tuple[Answer | None, Mark]:
        """The kept answer unless expired or written over since; and the account's current mark."""
        answer = self.get(key)
        if answer is None and self.shared is None:
            return None, None
        mark = await self.mark(key[1][0])
        if answer is not None and (isinstance(mark, Unknown) or mark != answer.mark):
            self._drop(key)
            return None, mark
        return answer, mark

    async def mark(self, account: str) -> Mark:
        """The account's last write mark in the shared cache (Unknown when it cannot be read)."""
        if self.shared is None:
            return None
        try:
            return await self.shared.get(MARK_PREFIX + account)
        except ReelstackError as exc:
            log.warning("home cache: cannot read %s's write mark: %s", account, exc)
            return Unknown()

    async def written(self, account: str) -> None:
        """Drop the account's pages here and leave a fresh mark for the other instances."""
        self.invalidate(account)
        if self.shared is None or not usable(account):
            return
        try:
            await self.shared.set(MARK_PREFIX + account, os.urandom(12), ttl_s=MARK_TTL_S)
        except ReelstackError as exc:
            # Other instances' pages of this account then show the write within the TTL.
            log.error(
                "home cache: cannot mark %s's write for the other instances: %s", account, exc
            )

    def generation(self, account: str) -> tuple[int, int]:
        """The account's invalidation count: a page is stored only if it did not move meanwhile."""
        return self._epoch, self._generation.get(account, 0)

    def put(
        self,
        key: Key,
        generation: tuple[int, int],
        status: int,
        content: bytes,
        media_type: str,
        mark: Mark = None,
    ) -> bool:
        """Keep a whole answer fetched at ``generation`` under ``mark``; False when not kept."""
        account = key[1][0]
        ttl = self.ttl_s()
        if ttl <= 0 or generation != self.generation(account) or isinstance(mark, Unknown):
            return False
        if not is_whole(status, content):
            return False
        if len(content) > self.max_bytes:
            return False
        if key in self._entries:
            self._drop(key)
        while self._entries and self._bytes + len(content) > self.max_bytes:
            self._drop(next(iter(self._entries)))
        now = self.clock()
        life = ttl * (0.5 + 0.5 * self.spread())
        refresh_at = now + life * REFRESH_AT
        self._entries[key] = Answer(content, status, media_type, now + life, mark, refresh_at)
        self._by_account.setdefault(account, set()).add(key)
        self._bytes += len(content)
        return True

    def invalidate(self, account: str) -> None:
        """Drop every page of ``account`` and let no page fetched before now be stored."""
        if not account:
            return
        if len(self._generation) >= MAX_ACCOUNTS_TRACKED:
            self._generation.clear()
            self._epoch += 1
        self._generation[account] = self._generation.get(account, 0) + 1
        for key in list(self._by_account.get(account, ())):
            self._drop(key)

    def clear(self) -> None:
        """Drop everything (the cache was turned off)."""
        for account in list(self._by_account):
            self.invalidate(account)

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Bytes of bodies kept."""
        return self._bytes

    def _drop(self, key: Key) -> None:
        answer = self._entries.pop(key, None)
        if answer is None:
            return
        self._bytes -= len(answer.content)
        account = key[1][0]
        keys = self._by_account.get(account)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_account[account]
