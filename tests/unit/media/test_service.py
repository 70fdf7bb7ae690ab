"""Use cases of the media service that need no store: title metadata rules."""

from __future__ import annotations

import pytest

from reelstack.errors import InvalidRequestError
from reelstack.media.service import title_meta


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


def test_public_reasons_lose_server_paths_and_keep_the_rest() -> None:
    from reelstack.media.models import public_reason

    assert public_reason(None) is None
    assert (
        public_reason("'/srv/up/x.mp4' is not a regular file") == "'<path>' is not a regular file"
    )
    assert public_reason("read file:/etc/passwd, refused") == "read <path>, refused"
    assert public_reason("H.264/AVC at 1/2 speed") == "H.264/AVC at 1/2 speed"
