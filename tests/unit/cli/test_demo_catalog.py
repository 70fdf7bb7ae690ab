"""The demo catalog: its titles, their episodes' intro offsets, the cache key."""

from __future__ import annotations

import pytest

from reelstack.cli import demo_catalog as demo


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
