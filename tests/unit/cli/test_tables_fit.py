"""Every table the CLI prints reads in an 80-column terminal: one line per row.

A refusal reason, a long title or a long setting is cut with an ellipsis (the
whole value is in ``--json`` or ``show``); ids and states are never cut.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from rich.console import Console, RenderableType

from reelstack.cli import context, demo_content, edges, render, titles, users
from reelstack.identity.models import Account
from tests.unit.cli.conftest import run

WIDTH = 80
REASON = (
    "the source has no video stream that ffprobe can read, so it cannot be encoded; "
    "upload a file with a video stream in it"
)
LONG_NAME = "The Extraordinarily Long Title of a Documentary About Everything, Part Two"


def _lines(table: RenderableType) -> list[str]:
    console = Console(width=WIDTH, highlight=False, soft_wrap=True, color_system=None)
    with console.capture() as captured:
        console.print(table)
    return captured.get().rstrip("\n").split("\n")


def _instance() -> dict[str, object]:
    return {
        "instance": "recommendations-2",
        "version": "0.1.0+build.with.a.very.long.local.version.label",
        "zone": "zone-with-a-rather-long-name-b",
        "state": "down",
        "port": 18123,
        "pid": 41234,
        "restarts": 12,
        "started_at": time.time() - 4000,
        "reason": REASON,
    }


def _title() -> dict[str, object]:
    return {
        "id": "a1b2c3d4e5f6",
        "name": LONG_NAME,
        "series": "A Series Whose Name Is Long Too",
        "season": 2,
        "episode": 11,
        "state": "refused",
        "duration_s": 3600.0,
        "rungs": [],
        "reason": REASON,
    }


TABLES: dict[str, Callable[[], RenderableType]] = {
    "status": lambda: render.instance_table([_instance(), _instance()]),
    "titles list": lambda: titles._table([_title(), _title()]),
    "users list": lambda: users.accounts_table(
        [Account(id="acc-1", email=f"{'x' * 70}@example.org", roles=("viewer", "studio"))] * 2
    ),
    "edge status": lambda: edges.status_table(
        [
            {
                "instance": "edge-with-a-long-instance-name-7",
                "region": "SOUTHAMERICA",
                "healthy": True,
                "hit_ratio_requests": 0.9,
                "hit_ratio_bytes": 0.8,
                "origin_offload": 0.75,
                "used_bytes": 10,
                "capacity_bytes": 100,
                "bytes_served": 123456789012,
            }
        ]
        * 2
    ),
}


@pytest.mark.parametrize("name", sorted(TABLES))
def test_each_row_is_one_line_of_at_most_80_columns(name: str) -> None:
    lines = _lines(TABLES[name]())
    assert len(lines) == 3, "\n".join(lines)  # the header and two rows, nothing wrapped
    assert max(len(line) for line in lines) <= WIDTH, "\n".join(lines)


def test_ids_and_states_are_whole_while_long_text_is_cut() -> None:
    lines = _lines(titles._table([_title()]))
    assert "a1b2c3d4e5f6" in lines[1] and "refused" in lines[1]
    assert "…" in lines[1]
    assert REASON not in lines[1]


class _Media:
    """The media service's client, answering with one refused title."""

    def __init__(self, base_url: str) -> None:
        del base_url

    def __enter__(self) -> _Media:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def title(self, title_id: str) -> dict[str, object]:
        return {**_title(), "id": title_id}


def test_titles_show_prints_the_whole_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextlib.contextmanager
    def local_media(*args: object, **kwargs: object) -> Iterator[tuple[str, bool]]:
        yield "http://127.0.0.1:9", True

    monkeypatch.setattr(titles, "media_service", local_media)
    monkeypatch.setattr(titles, "MediaClient", _Media)
    monkeypatch.setattr(context.console, "width", WIDTH)
    code, out, _ = run(capsys, tmp_path, "titles", "show", "a1b2c3d4e5f6")
    assert code == 0
    assert REASON in out.replace("\n", " ") and LONG_NAME in out


def test_the_demo_catalog_fits(monkeypatch: pytest.MonkeyPatch) -> None:
    printed = Console(width=WIDTH, highlight=False, soft_wrap=True, color_system=None)
    monkeypatch.setattr(demo_content, "console", printed)
    title = {**_title(), "kind": "episode", "maturity_rating": "TV-14"}
    with printed.capture() as captured:
        demo_content.print_catalog(
            [title, title], files_base="http://x", api_base="http://x", watch_base=None
        )
    table = captured.get().strip("\n").split("\n\n")[0].split("\n")
    assert len(table) == 4, table  # the heading, the header and two rows
    assert max(len(line) for line in table) <= WIDTH, table


def test_config_table_fits_and_one_key_prints_whole(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    long_greeting = "hello " * 30
    monkeypatch.setenv("REELSTACK_HELLO_GREETING", long_greeting)
    monkeypatch.setattr(context.console, "width", WIDTH)
    code, out, _ = run(capsys, tmp_path, "config", "get")
    assert code == 0
    lines = [line for line in out.split("\n") if line.strip()]
    assert max(len(line) for line in lines) <= WIDTH
    row = [line for line in lines if line.startswith("hello.greeting")]
    assert len(row) == 1 and "…" in row[0]
    code, out, _ = run(capsys, tmp_path, "config", "get", "hello.greeting")
    assert code == 0 and long_greeting.strip() in out
