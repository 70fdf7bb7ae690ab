"""Steering: healthy edges in the viewer's region first, then those holding the title, then load."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.chassis.discovery import InstanceInfo
from reelstack.playback.context import steering_weights
from reelstack.playback.settings import parse_edge_weights
from reelstack.playback.steering import Weights, edge_of, steer

NOW = 1_800_000_000.0
W = Weights()


def edge(
    name: str,
    *,
    region: str = "US",
    titles: str = "",
    conn: int = 0,
    status: Any = "UP",
    **meta: str,
) -> InstanceInfo:
    metadata = {
        "edge.region": region,
        "edge.url": f"http://{name}.example:8000",
        "edge.connections": str(conn),
        "edge.bytes_s": str(conn * 1000),
        "edge.free_bytes": "100",
        "edge.capacity_bytes": "200",
        "edge.titles": titles,
        "edge.reported_at": str(NOW - 1),
        **meta,
    }
    return InstanceInfo("edge", name, "127.0.0.1", 1, status=status, metadata=metadata)


def ranked(
    instances: list[InstanceInfo], region: str | None = "US", title: str = "t1"
) -> list[str]:
    return [e.instance for e in steer(instances, region=region, title_id=title, now=NOW, weights=W)]


def test_the_viewers_region_comes_before_a_less_loaded_edge_elsewhere() -> None:
    edges = [edge("gb1", region="GB"), edge("us1", conn=50), edge("us2", conn=10)]
    assert ranked(edges) == ["us2", "us1", "gb1"]
    assert ranked(edges, region="GB") == ["gb1", "us2", "us1"]


def test_an_edge_holding_the_title_beats_an_idle_one_but_not_one_far_away() -> None:
    edges = [
        edge("us1", conn=30, titles="t9,t1"),
        edge("us2", conn=40),
        edge("us3", conn=100),
        edge("gb1", region="GB", titles="t1"),
    ]
    assert ranked(edges) == ["us1", "us2", "us3"]
    # A heavy load outweighs holding the title (20 load vs 10 title).
    edges = [edge("us1", conn=100, titles="t1"), edge("us2", conn=1)]
    assert ranked(edges) == ["us2", "us1"]


def test_down_stale_and_future_reports_are_left_out_and_the_list_is_capped() -> None:
    edges = [
        edge("down", status="DOWN"),
        edge("stale", **{"edge.reported_at": str(NOW - W.stale_s - 1)}),
        edge("future", **{"edge.reported_at": str(NOW + W.stale_s + 1)}),
        *(edge(f"ok{i}") for i in range(5)),
    ]
    found = ranked(edges)
    assert len(found) == W.max_edges and all(name.startswith("ok") for name in found)


def test_equal_edges_keep_a_title_on_one_edge_and_spread_titles() -> None:
    edges = [edge(f"us{i}") for i in range(4)]
    firsts = {ranked(edges, title=f"t{n}")[0] for n in range(40)}
    assert ranked(edges, title="t1") == ranked(list(reversed(edges)), title="t1")
    assert len(firsts) > 1


@pytest.mark.parametrize(
    "meta",
    [
        {"edge.url": "http://x.example:1\n#EXT-X-ENDLIST"},
        {"edge.url": "http://x.example/path"},
        {"edge.url": "javascript:alert(1)"},
        {"edge.url": "http://user@x.example"},
        {"edge.url": 'http://x.example" onload="x'},
        {"edge.region": "us"},
        {"edge.connections": "-1"},
        {"edge.reported_at": "nan"},
        {"edge.reported_at": "soon"},
    ],
)
def test_metadata_an_attacker_registered_is_not_steered_to(meta: dict[str, str]) -> None:
    assert edge_of(edge("bad", **meta)) is None
    assert ranked([edge("bad", **meta), edge("good")]) == ["good"]


def test_a_trailing_slash_is_dropped_and_bad_title_ids_ignored() -> None:
    found = edge_of(edge("a", titles="t1,../x,t2", **{"edge.url": "http://[::1]:8000/"}))
    assert found is not None
    assert found.url == "http://[::1]:8000" and found.titles == {"t1", "t2"}


def test_no_edges_no_ranking() -> None:
    assert ranked([]) == []


def test_the_weights_setting_names_only_known_weights(make_config: Any) -> None:
    config = make_config(**{"playback.edge_weights": "load=5", "playback.edge_max": "2"})
    assert steering_weights(config) == Weights(load=5, max_edges=2)
    for bad in ("speed=1", "load", "load=-1", "load=x"):
        with pytest.raises(ValueError):
            parse_edge_weights(bad)
