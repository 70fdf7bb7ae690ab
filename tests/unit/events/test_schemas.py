"""The event schemas: every kind accepted when well formed, every bad field named."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack import services
from reelstack.events import schemas
from reelstack.events.fields import CMCD_KEYS, accepts
from reelstack.events.models import Caller
from reelstack.events.schemas import KINDS, REASONS, check_event
from reelstack.events.service import check_batch, to_records
from tests.unit.events.samples import GOOD, event


def test_every_kind_has_a_good_example() -> None:
    assert set(GOOD) == KINDS


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_kind_is_accepted(kind: str) -> None:
    assert check_event(0, event(kind)) is None


@pytest.mark.parametrize("kind", sorted(GOOD))
def test_each_kind_accepts_cmcd_keys(kind: str) -> None:
    cmcd = {"br": 3200, "bl": 21_300, "sid": "6e2fb550", "ot": "v", "su": False, "com.x-k": "y"}
    assert check_event(0, event(kind, cmcd=cmcd)) is None


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        (kind, name)
        for kind, version in schemas.SCHEMAS
        for name, (_, required) in schemas.SCHEMAS[(kind, version)].items()
        if required
    ],
)
def test_each_required_field_is_named_when_missing(kind: str, field: str) -> None:
    rejection = check_event(3, event(kind, **{field: None}))
    assert rejection is not None
    assert rejection.index == 3
    if field == "type":
        assert rejection.code == "unknown_type"
    elif field == "v":
        assert rejection.code == "unknown_version"
    else:
        assert (rejection.code, field in rejection.detail) == ("missing_field", True)


# Each field of each kind with a value of the wrong type and one out of range.
BAD_VALUES: dict[str, list[Any]] = {
    "session": ["", "x" * 65, "has space", "slash/id", 7],
    "seq": [-1, 1.5, "3", True, 2**53],
    "ts": [-1, "now", None],
    "title": ["", "t" * 65, 42],
    "startup_ms": [-5, 600_001, "850", False],
    "position_ms": [-1, 1.5, "0", None],
    "device": ["", "d" * 65, 3],
    "bitrate_kbps": [-1, "4500", True],
    "buffer_ms": [-1, [1]],
    "from_ms": [-1, "0"],
    "to_ms": [-1, {}],
    "from_kbps": [-1, 10_000_001],
    "to_kbps": ["4500", None],
    "reason": ["because", 1],
    "duration_ms": [-1, "1"],
    "code": ["", "c" * 65, 5],
    "message": ["m" * 513, 5],
    "fatal": [1, "true", None],
    "cmcd": [
        [],
        "br=3200",
        {"br": "3200"},
        {"ot": "x"},
        {"pr": -1},
        {"unknown": 1},
        {f"k-{i}": 1 for i in range(33)},
        {"a-b": {"nested": 1}},
    ],
}


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
def test_each_bad_field_is_refused_with_its_name(kind: str, field: str, value: Any) -> None:
    rejection = check_event(0, event(kind, **{field: value}))
    assert rejection is not None, f"{kind}.{field}={value!r} was accepted"
    if value is None:
        assert rejection.code == "missing_field"
    else:
        assert rejection.code == "bad_value"
        assert rejection.detail.startswith(f"{field}:")


def test_unknown_types_and_versions_are_refused_with_what_is_known() -> None:
    unknown_type = check_event(0, {**event("pause"), "type": "rewind"})
    assert unknown_type is not None and unknown_type.code == "unknown_type"
    assert "heartbeat" in unknown_type.detail
    version_two = check_event(0, event("heartbeat", v=2))
    assert version_two is not None and version_two.code == "unknown_version"
    assert version_two.detail == "heartbeat has no schema v=2 (known: 1)"
    textual = check_event(0, event("heartbeat", v="1"))
    assert textual is not None and textual.code == "unknown_version"


def test_fields_outside_the_schema_are_refused() -> None:
    rejection = check_event(0, event("pause", volume=0.5))
    assert rejection is not None and rejection.code == "unknown_field"
    assert "'volume'" in rejection.detail
    # A field of another kind is still outside this one's schema.
    other = check_event(0, event("pause", startup_ms=10))
    assert other is not None and other.code == "unknown_field"


@pytest.mark.parametrize("field", ["account", "profile"])
def test_an_event_claiming_an_identity_is_refused(field: str) -> None:
    rejection = check_event(0, event("heartbeat", **{field: "someone-else"}))
    assert rejection is not None and rejection.code == "identity_claimed"


@pytest.mark.parametrize("value", [[], "heartbeat", 5, None])
def test_an_event_that_is_not_an_object_is_refused(value: Any) -> None:
    rejection = check_event(0, value)
    assert rejection is not None and rejection.code == "not_object"


def test_every_reason_code_is_a_declared_metric_label() -> None:
    seen = {
        r.code
        for r in check_batch(
            events=[
                [],
                {"type": "x"},
                event("pause", v=9),
                event("pause", position_ms=None),
                event("pause", extra=1),
                event("pause", seq=-1),
                event("pause", account="a"),
            ]
        )
    }
    assert seen == set(REASONS)


def test_a_batch_reports_each_refused_event_by_index() -> None:
    batch = [event("heartbeat"), event("pause", seq="1"), event("stop"), event("seek", v=3)]
    assert [(r.index, r.code) for r in check_batch(events=batch)] == [
        (1, "bad_value"),
        (3, "unknown_version"),
    ]


def test_records_are_keyed_by_session_and_carry_the_gateways_caller() -> None:
    [(key, value)] = to_records(
        events=[event("heartbeat", session="s-9")],
        caller=Caller("acct-1", "prof-2"),
        received_ms=5,
    )
    assert key == b"s-9"
    assert b'"account":"acct-1"' in value and b'"profile":"prof-2"' in value


def test_the_spec_is_accepted_by_the_service_loader() -> None:
    spec = services.specs(("reelstack.events",))["events"]
    assert spec.ports == ("log",)
    [route] = spec.gateway_routes()
    assert (route.prefix, route.upstream_path("/api/events"), route.public) == (
        "/api/events",
        "/events",
        False,
    )


SAMPLES: list[Any] = [
    None, True, False, 0, 1, -1, 7, 600_001, 2**53, 1.5, float("nan"), "", "v", "abr",
    "play-1", "has space", "x" * 65, "m" * 513, [], {}, {"br": 1},
]  # fmt: skip


def test_the_fast_path_accepts_nothing_its_check_refuses() -> None:
    fields = {id(f): f for schema in schemas.SCHEMAS.values() for f, _ in schema.values()}
    fields.update({id(f): f for f in CMCD_KEYS.values()})
    for field in fields.values():
        for value in SAMPLES:
            if accepts(field, value):
                assert field.check(value) is None, (field, value)
