"""Pure parts of trickplay, artwork, intro alignment, tus headers and the demo spec."""

from __future__ import annotations

import base64

import pytest

from reelstack.errors import InvalidRequestError
from reelstack.media import demo
from reelstack.media.service import title_meta
from reelstack.media.uploads import encode_metadata, parse_checksum, parse_metadata


def test_tus_metadata_round_trip_and_refusals() -> None:
    data = {"title": "Été à Paris", "genres": "Drama,Romance", "empty": ""}
    assert parse_metadata(encode_metadata(data)) == data
    assert parse_metadata("flag") == {"flag": ""}
    with pytest.raises(InvalidRequestError):
        parse_metadata("a !!!notbase64")
    with pytest.raises(InvalidRequestError):
        parse_metadata(f"a {base64.b64encode(b'x').decode()},a {base64.b64encode(b'y').decode()}")
    assert (
        parse_checksum("sha1 " + base64.b64encode(b"12345678901234567890").decode()).algorithm
        == "sha1"
    )
    with pytest.raises(InvalidRequestError):
        parse_checksum("crc32 AAAA")


def test_title_metadata_rules() -> None:
    meta = title_meta({"title": " Pilot ", "series": "S", "season": "1", "episode": "2"})
    assert (meta.name, meta.kind.value, meta.season, meta.episode) == ("Pilot", "episode", 1, 2)
    assert title_meta({"filename": "my movie.mp4"}).name == "my movie"
    for bad in (
        {},
        {"title": "x", "season": "1"},
        {"title": "x", "series": "S"},
        {"title": "x", "maturity_rating": "XXX"},
        {"title": "x", "series": "S", "season": "one", "episode": "1"},
    ):
        with pytest.raises(InvalidRequestError):
            title_meta(bad)


def test_demo_spec() -> None:
    titles = demo.catalog(12)
    assert len(titles) == 12
    episodes = [t for t in titles if t.series]
    assert len(episodes) >= 3
    assert len({t.intro_at_s for t in episodes}) == len(episodes)  # different offsets
    assert len({t.video for t in titles}) == len(titles)
    assert demo.spec_hash(titles, seconds=24, size="640x360") != demo.spec_hash(
        titles, seconds=20, size="640x360"
    )
    assert demo.length_of(episodes[0], 10) == demo.EPISODE_MIN_S
    graph = demo.audio_graph(episodes[0], 30)
    assert graph.count("aevalsrc") == 4 and "concat=n=4" in graph
    with pytest.raises(ValueError):
        demo.audio_graph(episodes[0], 10)
