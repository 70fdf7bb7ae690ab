"""The serving path's pure HTTP rules: heads, traversal, ranges, validators, CMCD, fill window."""

from __future__ import annotations

from datetime import time

import pytest

from reelstack.edge.fill import in_window
from reelstack.edge.http import (
    BadRequest,
    clean_path,
    cmcd,
    etag_for,
    http_date,
    not_modified,
    parse_head,
    parse_range,
    range_applies,
)


def test_a_head_parses_into_method_path_query_and_lowercased_headers() -> None:
    request = parse_head(
        b"GET /media/s/t/a.m4s?CMCD=br%3D3 HTTP/1.1\r\nHost: e\r\nRange: bytes=0-1\r\n\r\n"
    )
    assert (request.method, request.path, request.query) == (
        "GET",
        "/media/s/t/a.m4s",
        "CMCD=br%3D3",
    )
    assert request.headers == {"host": "e", "range": "bytes=0-1"}
    assert request.keep_alive


@pytest.mark.parametrize(
    ("head", "status"),
    [
        (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nRange: bytes=0-1\r\nRange: bytes=2-3\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nX: a\nY: b\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
        (b"GET / HTTP/2.0\r\n\r\n", 505),
        (b"GET http://evil/ HTTP/1.1\r\n\r\n", 400),
        (b"GARBAGE\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400),
    ],
)
def test_malformed_or_smuggling_heads_are_refused(head: bytes, status: int) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_head(head)
    assert refused.value.status == status


def test_http_1_0_closes_unless_it_asks_for_keep_alive() -> None:
    assert not parse_head(b"GET / HTTP/1.0\r\n\r\n").keep_alive
    assert parse_head(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").keep_alive
    assert not parse_head(b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n").keep_alive


@pytest.mark.parametrize(
    "path",
    [
        "/media/s/tok/../../etc/passwd",
        "/media/s/tok/%2e%2e/%2e%2e/secrets",
        "/media/s/tok/%2E%2E/x",
        "/media/s/tok/a%2f..%2fb",
        "/media/s/tok/a%5c..%5cb",
        "/media/s/tok/a\\b",
        "/media/s/tok/./a",
        "/media/s/tok//a",
        "/media/s/tok/a%00b",
    ],
)
def test_traversal_plain_or_encoded_is_refused(path: str) -> None:
    with pytest.raises(BadRequest) as refused:
        clean_path(path)
    assert refused.value.status == 400


def test_an_ordinary_path_is_decoded() -> None:
    assert clean_path("/media/s/t/title%20a/v0/seg.m4s") == "/media/s/t/title a/v0/seg.m4s"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-100", (900, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=990-5000", (990, 999)),
        ("bytes=0-1,5-6", None),  # several ranges: the whole file
    ],
)
def test_single_ranges_are_honoured_and_several_answer_the_whole_file(
    header: str | None, expected: tuple[int, int] | None
) -> None:
    assert parse_range(header, 1000) == expected


@pytest.mark.parametrize(
    "header",
    ["bytes=1000-", "bytes=5-2", "bytes=-0", "bytes=abc", "items=0-1", "bytes=-", "bytes=1-x"],
)
def test_unsatisfiable_or_malformed_ranges_are_416(header: str) -> None:
    with pytest.raises(ValueError):
        parse_range(header, 1000)


def test_validators_answer_304_with_if_none_match_winning() -> None:
    etag = etag_for(1000, 1_700_000_000)
    assert not_modified({"if-none-match": etag}, etag, 1_700_000_000)
    assert not_modified({"if-none-match": f'"x", W/{etag}'}, etag, 1_700_000_000)
    assert not not_modified({"if-none-match": '"other"'}, etag, 1_700_000_000)
    later = http_date(1_700_000_100)
    assert not_modified({"if-modified-since": later}, etag, 1_700_000_000)
    assert not not_modified({"if-modified-since": http_date(1_600_000_000)}, etag, 1_700_000_000)
    assert not not_modified({"if-modified-since": "garbage"}, etag, 1_700_000_000)
    # If-None-Match that does not match wins over a date that would.
    assert not not_modified(
        {"if-none-match": '"x"', "if-modified-since": later}, etag, 1_700_000_000
    )


def test_if_range_with_another_etag_ignores_the_range() -> None:
    assert range_applies({}, '"a"')
    assert range_applies({"if-range": '"a"'}, '"a"')
    assert not range_applies({"if-range": '"b"'}, '"a"')


def test_cmcd_keys_come_from_the_query_or_the_headers() -> None:
    assert cmcd("CMCD=br%3D3200%2Cbl%3D21300%2Csid%3D%22abc%22%2Csu", {}) == {
        "br": "3200",
        "bl": "21300",
        "sid": '"abc"',
        "su": "true",
    }
    assert cmcd("", {"cmcd-request": "bl=100", "cmcd-session": 'sid="x"'}) == {
        "bl": "100",
        "sid": '"x"',
    }
    many = ",".join(f"k{i}=1" for i in range(500))
    assert len(cmcd("", {"cmcd-object": many})) == 64


def test_the_fill_window_wraps_midnight() -> None:
    assert in_window(time(3, 0), "02:00-14:00")
    assert not in_window(time(14, 0), "02:00-14:00")
    assert in_window(time(23, 30), "22:00-06:00")
    assert in_window(time(5, 59), "22:00-06:00")
    assert not in_window(time(12, 0), "22:00-06:00")
    assert not in_window(time(3, 0), "")
