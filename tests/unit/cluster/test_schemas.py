"""Control API request bodies: what is accepted, and a 400 naming the field otherwise."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.cluster.schemas import (
    FieldError,
    ScaleRequest,
    StartVersionRequest,
    parse_object,
    validate_version,
)


def test_scale_request() -> None:
    assert ScaleRequest.from_body({"count": 3}) == ScaleRequest(3, None)
    assert ScaleRequest.from_body({"count": 0, "version": "v2"}) == ScaleRequest(0, "v2")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "count"),
        ({"count": "3"}, "count"),
        ({"count": True}, "count"),
        ({"count": 2.5}, "count"),
        ({"count": -1}, "count"),
        ({"count": 33}, "count"),
        ({"count": 1, "version": 2}, "version"),
        ({"count": 1, "version": "v 2"}, "version"),
        ({"count": 1, "zone": "a"}, "zone"),
    ],
)
def test_bad_scale_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as info:
        ScaleRequest.from_body(body)
    assert info.value.field == field


def test_start_version_request_counts_one_by_default() -> None:
    assert StartVersionRequest.from_body({"version": "v2"}) == StartVersionRequest("v2", 1)
    assert StartVersionRequest.from_body({"version": "v2", "count": 4}).count == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "version"), ({"version": None}, "version"), ({"version": "v2", "count": 0}, "count")],
)
def test_bad_start_version_requests_name_the_field(body: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as info:
        StartVersionRequest.from_body(body)
    assert info.value.field == field


def test_bodies_must_be_json_objects() -> None:
    assert parse_object(b"") == {}
    assert parse_object(b'{"count": 1}') == {"count": 1}
    for raw in (b"[1]", b"nope", b'"x"'):
        with pytest.raises(FieldError) as info:
            parse_object(raw)
        assert info.value.field == "body"


def test_a_version_in_a_path_is_checked_too() -> None:
    assert validate_version("v2") == "v2"
    with pytest.raises(FieldError):
        validate_version("..")
