"""Writing and checking the rendered files under a root folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack.chassis.spec import ServiceSpec
from reelstack.deploy import files, service_table
from reelstack.deploy.layout import Layout

SPECS = [ServiceSpec(name="hello", app="hello:app", package="reelstack.hello")]
LAYOUT = Layout(zones=("a", "b"), instances=2)
PAGE = f"# Title\n\nProse.\n\n{service_table.BEGIN}\nold\n{service_table.END}\n\nMore prose.\n"


def test_writes_missing_files_then_finds_them_up_to_date(tmp_path: Path) -> None:
    rendered = files.rendered(tmp_path, SPECS, LAYOUT)
    every = [files.COMPOSE, files.K8S, files.NETWORK]
    assert set(rendered) == set(every)  # no page there: no table
    assert files.outdated(tmp_path, rendered) == every
    assert files.write(tmp_path, rendered) == every
    assert (tmp_path / files.K8S).read_text() == rendered[files.K8S]
    assert files.outdated(tmp_path, rendered) == []
    assert files.write(tmp_path, rendered) == []


def test_only_the_marked_block_of_the_page_is_rewritten(tmp_path: Path) -> None:
    page = tmp_path / files.ARCHITECTURE
    page.parent.mkdir()
    page.write_text(PAGE)
    text = files.rendered(tmp_path, SPECS, LAYOUT)[files.ARCHITECTURE]
    assert text.startswith("# Title\n\nProse.\n\n<!-- services:begin -->\n")
    assert text.endswith("<!-- services:end -->\n\nMore prose.\n")
    assert "| `hello` | `reelstack.hello` |" in text and "\nold\n" not in text
    # Rewriting the rewritten page changes nothing.
    assert service_table.rewrite(text, SPECS, LAYOUT) == text


def test_a_page_without_the_markers_is_refused_naming_it(tmp_path: Path) -> None:
    page = tmp_path / files.ARCHITECTURE
    page.parent.mkdir()
    page.write_text("# Title\n")
    with pytest.raises(ValueError, match=r"architecture\.md.*services:begin"):
        files.rendered(tmp_path, SPECS, LAYOUT)
