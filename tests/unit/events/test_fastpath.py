"""The compiled check accepts only what the table-driven checks accept, with the same values."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reelstack.events import fastpath, schemas
from reelstack.events.models import Caller
from reelstack.events.service import check_batch, to_records
from tests.unit.events.samples import GOOD, event
from tests.unit.events.test_schemas import BAD_VALUES, SAMPLES

CALLER = Caller("acct-1", "prof-1")
CMCD = {"br": 3200, "bl": 21_300, "sid": "6e2fb550", "ot": "v", "su": False, "v": 1}


def body(*events: Any) -> bytes:
    return orjson.dumps({"events": list(events)})


ACCEPTED: list[int] = []


def assert_same_records(events: list[dict[str, Any]]) -> None:
    """Both paths accept ``events`` and write the same JSON objects under the same keys."""
    decoded = fastpath.decode_valid(body(*events))
    assert decoded is not None, events
    assert check_batch(events=events) == []
    fast = fastpath.records(decoded, account="acct-1", profile="prof-1", received_ms=5)
    slow = to_records(events=[dict(e) for e in events], caller=CALLER, received_ms=5)
    assert [(k, orjson.loads(v)) for k, v in fast] == [(k, orjson.loads(v)) for k, v in slow]


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_every_kind_takes_the_fast_path_and_writes_what_the_checks_write(kind: str) -> None:
    assert_same_records([event(kind), event(kind, cmcd=CMCD, seq=9)])


def test_optional_fields_left_out_stay_out_of_the_record() -> None:
    assert_same_records([event("play_start", device=None), event("stop", reason=None)])


@pytest.mark.parametrize(
    ("kind", "field", "value"),
    [
        (kind, name, value)
        for kind in sorted(GOOD)
        for name in schemas.SCHEMAS[(kind, 1)]
        for value in BAD_VALUES.get(name, [])
        # None leaves the field out, which only a required field refuses.
        if value is not None or schemas.SCHEMAS[(kind, 1)][name][1]
    ],
)
def test_every_bad_value_leaves_the_fast_path(kind: str, field: str, value: Any) -> None:
    assert fastpath.decode_valid(body(event(kind), event(kind, **{field: value}))) is None


@pytest.mark.parametrize(
    "changes",
    [
        {"account": "acct-2"},
        {"profile": "prof-2"},
        {"received_ms": 1},
        {"extra": 1},
        {"bitrate_kbps": None},  # present as null: the checks refuse it
        {"v": 2},
        {"type": "rewind"},
        {"session": "play-1\n"},  # $ would match before the newline; \Z does not
        {"seq": 1.0},
        {"seq": True},
    ],
)
def test_what_the_checks_refuse_leaves_the_fast_path(changes: dict[str, Any]) -> None:
    sent = {**event("heartbeat"), **changes}
    assert fastpath.decode_valid(body(sent)) is None
    assert check_batch(events=[sent]) != []


@pytest.mark.parametrize("cmcd", [{"pr": 1.5}, {"com.example-k": "y"}, {"nor": "../next.ts"}])
def test_what_only_the_checks_can_decide_goes_to_them(cmcd: dict[str, Any]) -> None:
    # CMCD's pr (int or float) and custom keys have no exact struct form; the
    # slow path accepts them, so the batch is still appended.
    sent = event("heartbeat", cmcd=cmcd)
    if "nor" not in cmcd:
        assert fastpath.decode_valid(body(sent)) is None
    assert check_batch(events=[sent]) == []


def test_a_duplicate_key_counts_its_last_value_as_the_checks_do() -> None:
    good = orjson.dumps(event("pause"))
    assert fastpath.decode_valid(b'{"events":[' + good[:-1] + b',"seq":-1}]}') is None
    assert fastpath.decode_valid(b'{"events":[' + good[:-1] + b',"seq":4}]}') is not None


@pytest.mark.parametrize(
    "raw",
    [b"", b"[]", b'{"events": {}}', b'{"events":[1]}', b"\xff", b'{"events":[]} x', b"NaN"],
)
def test_what_is_not_a_batch_of_objects_leaves_the_fast_path(raw: bytes) -> None:
    assert fastpath.decode_valid(raw) is None


VALUES = st.sampled_from([*SAMPLES, 30_000, 1_765_000_000_000, "t-42", "user", "abr", "tv"])


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(sorted(GOOD)))
    sent = event(kind)
    for name in draw(st.lists(st.sampled_from(sorted(sent)), max_size=3)):
        sent[name] = draw(VALUES)
    if draw(st.booleans()):
        sent["cmcd"] = {
            key: draw(VALUES) for key in draw(st.lists(st.sampled_from(sorted(CMCD)), max_size=3))
        }
    return sent


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(events(), min_size=1, max_size=4))
def test_whatever_the_fast_path_accepts_the_checks_accept_with_the_same_values(
    batch: list[dict[str, Any]],
) -> None:
    if fastpath.decode_valid(body(*batch)) is not None:
        ACCEPTED.append(len(batch))
        assert_same_records(batch)


def test_the_generated_batches_reach_the_fast_path() -> None:
    # The property above holds vacuously if nothing generated is accepted.
    ACCEPTED.clear()
    test_whatever_the_fast_path_accepts_the_checks_accept_with_the_same_values()
    assert len(ACCEPTED) >= 20, ACCEPTED  # 26 of 300 derandomized examples today
