"""``reelstack edge status``, ``edge fill --now`` and ``edge purge`` against stand-in edges."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelstack.signed_urls import UrlSigner
from tests.support.edge_standin import EdgeState, StandInEdge, running
from tests.unit.cli.conftest import run

ORIGIN = {
    "media/film1/j1/v0/seg_00001.m4s": b"x" * 3000,
    "media/film2/j1/v0/seg_00001.m4s": b"y" * 1000,
}


@pytest.fixture
def edges() -> Iterator[tuple[StandInEdge, StandInEdge]]:
    signer = UrlSigner(b"c" * 32)
    with (
        running(EdgeState("edge-us-1", "US", signer, dict(ORIGIN))) as us,
        running(EdgeState("edge-gb-1", "GB", signer, dict(ORIGIN))) as gb,
    ):
        yield us, gb


def _edge_args(*edges: StandInEdge) -> list[str]:
    return [arg for edge in edges for arg in ("--edge", edge.url)]


def test_status_json_has_each_edges_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, gb = edges
    us.state.cached.add("media/film1/j1/v0/seg_00001.m4s")
    us.state.served += ["media/film1/j1/v0/seg_00001.m4s", "media/film2/j1/v0/seg_00001.m4s"]
    code, out, err = run(capsys, tmp_path, "edge", "status", "--json", *_edge_args(us, gb))
    assert code == 0, err
    rows = json.loads(out)
    assert [(r["instance"], r["region"], r["healthy"]) for r in rows] == [
        ("edge-us-1", "US", True),
        ("edge-gb-1", "GB", True),
    ]
    assert rows[0]["hit_ratio_requests"] == 0.5 and rows[0]["bytes_served"] == 4000
    assert rows[0]["management_url"] == us.url


def test_status_table_fits_80_columns_and_shows_a_dead_edge(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, gb = edges
    us.state.cached.add("media/film1/j1/v0/seg_00001.m4s")
    us.state.served += ["media/film1/j1/v0/seg_00001.m4s"] * 4
    gb.kill()
    code, out, err = run(capsys, tmp_path, "edge", "status", *_edge_args(us, gb))
    assert code == 0
    lines = out.splitlines()
    assert all(len(line) <= 80 for line in lines), out
    assert lines[0].split() == [
        "EDGE", "REGION", "HEALTH", "HITS", "BYTEHITS", "OFFLOAD", "FILL", "SERVED"
    ]  # fmt: skip
    assert lines[1].split() == [
        "edge-us-1",
        "US",
        "up",
        "100.0%",
        "100.0%",
        "100.0%",
        "0%",
        "11.7K",
    ]
    assert lines[2].split()[2] == "down" and "no answer" in err


def test_an_edge_answering_markup_and_nonsense_is_shown_plainly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, _ = edges
    us.state.instance = "[red]evil[/red]"
    us.state.region = "[bold]X"
    code, out, _ = run(capsys, tmp_path, "edge", "status", *_edge_args(us))
    assert code == 0 and "[red]evil[/red]" in out


def test_fill_now_asks_every_edge_and_says_what_each_filled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, gb = edges
    code, out, err = run(capsys, tmp_path, "edge", "fill", "--now", *_edge_args(us, gb))
    assert code == 0, err
    assert us.state.fills == [{}] and gb.state.fills == [{}]
    assert "2 title(s), 2 file(s), 3.9K copied" in out
    code, out, _ = run(
        capsys, tmp_path, "edge", "fill", "--now", "--json", "--title", "film2", *_edge_args(us)
    )
    assert code == 0 and us.state.fills[-1] == {"titles": ["film2"]}
    assert json.loads(out)[0]["files"] == 1


def test_fill_without_now_is_a_usage_error_and_a_dead_edge_fails_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, gb = edges
    code, _, _ = run(capsys, tmp_path, "edge", "fill", *_edge_args(us))
    assert code == 2 and us.state.fills == []
    gb.kill()
    code, out, err = run(capsys, tmp_path, "edge", "fill", "--now", *_edge_args(us, gb))
    assert code == 1 and "filled" in out and gb.url in err


def test_without_a_cluster_or_edges_the_commands_say_how_to_start_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, tmp_path, "edge", "status")
    assert code == 1 and "reelstack up" in err


def test_purge_drops_the_title_from_every_edge_and_a_dead_one_fails_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], edges: tuple[StandInEdge, StandInEdge]
) -> None:
    us, gb = edges
    us.state.cached.update(ORIGIN)
    code, out, err = run(capsys, tmp_path, "edge", "purge", "film1", *_edge_args(us, gb))
    assert code == 0, err
    assert us.state.purges == ["film1"] and gb.state.purges == ["film1"]
    assert us.state.cached == {"media/film2/j1/v0/seg_00001.m4s"}
    assert "1 file(s), 2.9K" in out and "0 file(s)" in out
    # An unknown title is nothing to drop on any edge: not an error.
    code, out, _ = run(capsys, tmp_path, "edge", "purge", "nope", "--json", *_edge_args(us))
    assert code == 0 and json.loads(out)[0]["files"] == 0
    gb.kill()
    code, _, err = run(capsys, tmp_path, "edge", "purge", "film2", *_edge_args(us, gb))
    assert code == 1 and gb.url in err


@pytest.mark.parametrize("title", ["../secrets", "a/b", ".", "x" * 200, "a?b"])
def test_purge_refuses_what_is_not_a_title_id_before_asking_an_edge(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edges: tuple[StandInEdge, StandInEdge],
    title: str,
) -> None:
    us, _ = edges
    code, _, _ = run(capsys, tmp_path, "edge", "purge", title, *_edge_args(us))
    assert code == 2 and us.state.purges == []
