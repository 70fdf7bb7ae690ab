"""YAML scalars read back as the strings they were written from."""

from __future__ import annotations

import pytest
import yaml

from reelstack.deploy.text import comment, scalar


@pytest.mark.parametrize(
    "value",
    ["a", "1", "on", "no", "null", "media-worker", "/var/lib/x", "8080:8000", "a=b,c", "x: y", ""],
)
def test_a_scalar_reads_back_as_the_same_string(value: str) -> None:
    assert yaml.safe_load(f"key: {scalar(value)}") == {"key": value}
    assert yaml.safe_load(f"[{scalar(value)}]") == [value]


def test_plain_names_stay_unquoted() -> None:
    assert scalar("media-worker") == "media-worker"
    assert scalar(30) == "30"


def test_comments_wrap_within_the_width() -> None:
    lines = comment("word " * 40, indent=2, width=40)
    assert len(lines) > 1 and all(line.startswith("  # ") and len(line) <= 40 for line in lines)
