"""The home page cache on its own: keys, what is kept, invalidation, bounds."""

from __future__ import annotations

import orjson

from reelstack.adapters.cache.memory import MemoryCache
from reelstack.errors import UnavailableError
from reelstack.router.homecache import (
    MARK_PREFIX,
    Documents,
    HomeCache,
    Unknown,
    is_whole,
    persisted_id,
)
from reelstack.router.persisted import document_id

HOME = "query Home { home { rows { id } } }"
TITLE = "query Title($id: ID!) { title(id: $id) { id } }"
ADD = "mutation AddToMyList($id: ID!) { addToMyList(titleId: $id) { id } }"
MANIFEST = {document_id(t): t for t in (HOME, TITLE, ADD)}
ANN = {
    "x-account-id": "ann",
    "x-profile-id": "ann-1",
    "x-roles": "viewer",
    "x-maturity": "adult",
    "x-region": "US",
    "accept": "application/json",
}
PAGE = orjson.dumps(
    {"data": {"home": {"rows": [{"id": "top10"}], "errors": [], "fallback": False}}}
)


def body(text: str, **variables: str) -> bytes:
    return orjson.dumps({"documentId": f"sha256:{document_id(text)}", "variables": variables})


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def cache(
    ttl: float = 5.0, max_bytes: int = 1 << 20, spread: float = 1.0
) -> tuple[HomeCache, Clock]:
    clock = Clock()
    made = HomeCache(
        Documents.of(MANIFEST),
        ttl_s=lambda: ttl,
        max_bytes=max_bytes,
        clock=clock,
        spread=lambda: spread,
    )
    return made, clock


def keep(made: HomeCache, headers: dict[str, str], content: bytes = PAGE) -> bool:
    key = made.key(body(HOME), headers)
    assert key is not None
    return made.put(key, made.generation(headers["x-account-id"]), 200, content, "application/json")


def test_the_manifest_is_sorted_into_home_and_the_queries() -> None:
    documents = Documents.of(MANIFEST | {"bad": "query {", "two": "query A { a } query B { b }"})
    assert documents.home == {document_id(HOME)}
    assert documents.queries == {document_id(HOME), document_id(TITLE)}


def test_only_a_persisted_home_of_a_chosen_profile_has_a_key() -> None:
    made, _ = cache()
    assert made.key(body(HOME), ANN) is not None
    assert made.key(body(TITLE, id="1"), ANN) is None
    # The same text sent as a query is not the web app's operation: not kept.
    assert made.key(orjson.dumps({"query": HOME}), ANN) is None
    assert made.key(orjson.dumps({"query": HOME, "documentId": "x"}), ANN) is None
    assert made.key(body(HOME), {k: v for k, v in ANN.items() if k != "x-profile-id"}) is None
    assert made.key(body(HOME), {k: v for k, v in ANN.items() if k != "x-account-id"}) is None
    assert made.key(b"not json", ANN) is None
    assert made.key(b"[1, 2]", ANN) is None
    off, _ = cache(ttl=0)
    assert off.key(body(HOME), ANN) is None


def test_apollo_hashes_name_the_same_document() -> None:
    apollo = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_id(HOME)}}}
    assert persisted_id(orjson.dumps(apollo)) == document_id(HOME)


def test_every_header_that_shapes_a_page_is_in_its_key() -> None:
    made, _ = cache()
    assert keep(made, ANN)
    for name in ("x-account-id", "x-profile-id", "x-roles", "x-maturity", "x-region", "accept"):
        other = made.key(body(HOME), ANN | {name: "other"})
        assert other is not None and made.get(other) is None, name
    same = made.key(body(HOME), ANN)
    assert same is not None
    kept = made.get(same)
    assert kept is not None and kept.content == PAGE


def test_answers_expire_after_the_ttl() -> None:
    made, clock = cache(ttl=5)
    keep(made, ANN)
    key = made.key(body(HOME), ANN)
    assert key is not None
    clock.now += 4.9
    assert made.get(key) is not None
    clock.now += 0.2
    assert made.get(key) is None
    assert len(made) == 0 and made.size_bytes == 0


def test_pages_asked_together_expire_apart_within_the_ttl() -> None:
    made, clock = cache(ttl=5, spread=0.0)
    keep(made, ANN)
    key = made.key(body(HOME), ANN)
    assert key is not None
    clock.now += 2.4
    assert made.get(key) is not None
    clock.now += 0.2
    assert made.get(key) is None


def test_partial_or_failed_answers_are_not_kept() -> None:
    def page(**home: object) -> bytes:
        return orjson.dumps({"data": {"home": {"rows": [], **home}}})

    assert is_whole(200, PAGE)
    assert not is_whole(200, page(errors=[{"part": "my_list", "detail": "down"}]))
    assert not is_whole(200, page(fallback=True))
    assert not is_whole(200, orjson.dumps({"data": {"home": None}}))
    assert not is_whole(200, orjson.dumps({"data": {"home": {}}, "errors": [{"message": "x"}]}))
    assert not is_whole(200, orjson.dumps({"data": None, "errors": [{"message": "x"}]}))
    assert not is_whole(503, PAGE)
    assert not is_whole(200, b"<html>")
    made, _ = cache()
    assert not keep(made, ANN, page(fallback=True))
    assert len(made) == 0


def test_a_write_drops_the_accounts_pages_and_refuses_pages_fetched_across_it() -> None:
    made, _ = cache()
    bob = ANN | {"x-account-id": "bob", "x-profile-id": "bob-1"}
    keep(made, ANN)
    keep(made, ANN | {"x-profile-id": "ann-2"})
    keep(made, bob)
    assert made.changes(body(ADD, id="1"))
    assert not made.changes(orjson.dumps({"query": "{ home { rows { id } } }"}))
    assert made.changes(orjson.dumps({"query": "mutation { touch }"}))
    # JSON escapes are read as the text they stand for.
    assert made.changes(b'{"query": "\\u006dutation { touch }"}')
    assert made.changes(b'[{"query": "{ a }"}]')
    assert made.changes(b"not json")
    assert not made.changes(body(TITLE, id="1"))
    assert not made.changes(body(HOME))

    made.invalidate("ann")
    assert len(made) == 1  # Bob's
    # A page whose fetch began before the write finished is not kept.
    key = made.key(body(HOME), ANN)
    assert key is not None
    before = made.generation("ann")
    made.invalidate("ann")
    assert not made.put(key, before, 200, PAGE, "application/json")
    assert made.put(key, made.generation("ann"), 200, PAGE, "application/json")


def test_the_oldest_pages_go_first_past_the_byte_bound() -> None:
    made, _ = cache(max_bytes=len(PAGE) * 2)
    profiles = [ANN | {"x-profile-id": f"ann-{n}"} for n in range(3)]
    for headers in profiles:
        assert keep(made, headers)
    assert len(made) == 2 and made.size_bytes == len(PAGE) * 2
    first = made.key(body(HOME), profiles[0])
    assert first is not None and made.get(first) is None
    # A page larger than the whole bound is answered, never kept.
    assert not keep(made, ANN, PAGE + b" " * len(PAGE) * 2)


class Failing(MemoryCache):
    async def get(self, key: str) -> bytes | None:
        raise UnavailableError("cache down")

    async def set(self, key: str, value: bytes, *, ttl_s: float | None = None) -> None:
        raise UnavailableError("cache down")


def shared_pair(shared: MemoryCache) -> tuple[HomeCache, HomeCache]:
    def one() -> HomeCache:
        return HomeCache(
            Documents.of(MANIFEST), ttl_s=lambda: 5.0, max_bytes=1 << 20, shared=shared
        )

    return one(), one()


async def test_a_write_through_another_instance_drops_the_page_here() -> None:
    shared = MemoryCache()
    here, there = shared_pair(shared)
    key = here.key(body(HOME), ANN)
    assert key is not None
    kept, mark = await here.lookup(key)
    assert kept is None
    assert here.put(key, here.generation("ann"), 200, PAGE, "application/json", mark)
    kept, _ = await here.lookup(key)
    assert kept is not None and kept.content == PAGE

    # Bob's write marks only Bob; Ann's write through the other instance marks Ann.
    await there.written("bob")
    assert (await here.lookup(key))[0] is not None
    await there.written("ann")
    assert await shared.get(MARK_PREFIX + "ann") is not None
    assert (await here.lookup(key))[0] is None
    assert len(here) == 0


async def test_an_unreadable_mark_serves_and_keeps_nothing() -> None:
    here, _ = shared_pair(Failing())
    key = here.key(body(HOME), ANN)
    assert key is not None
    kept, mark = await here.lookup(key)
    assert kept is None and isinstance(mark, Unknown)
    assert not here.put(key, here.generation("ann"), 200, PAGE, "application/json", mark)
    # A write still drops this instance's pages when the mark cannot be left.
    await here.written("ann")


def test_ids_that_cannot_name_a_key_are_not_cached() -> None:
    made, _ = cache()
    for account in ("", "a b", "x" * 201, "a\nb"):
        assert made.key(body(HOME), ANN | {"x-account-id": account}) is None, account


def test_a_page_late_in_its_life_is_fetched_again_behind_the_answer() -> None:
    made, clock = cache(ttl=4)
    keep(made, ANN)
    key = made.key(body(HOME), ANN)
    assert key is not None
    kept = made.get(key)
    assert kept is not None and not made.due(kept)
    clock.now += 3.0  # three quarters of its life: still served, and due
    kept = made.get(key)
    assert kept is not None and made.due(kept)
