"""The free-disk floor: figures against the disk the path is on."""

from __future__ import annotations

from pathlib import Path

from reelstack.media.source import limits


def test_below_floor_counts_the_incoming_bytes(tmp_path: Path) -> None:
    free = limits.free_bytes(tmp_path)
    assert limits.below_floor(tmp_path, 0) is None
    assert limits.below_floor(tmp_path, 1) is None
    assert limits.below_floor(tmp_path / "not" / "made", 1) is None
    reason = limits.below_floor(tmp_path, 1, incoming=free + 1)
    assert reason is not None and "floor of 1 bytes" in reason and str(tmp_path) not in reason
    assert limits.below_floor(tmp_path, free * 2) is not None


def test_a_quota_names_itself_and_its_limit() -> None:
    exc = limits.QuotaExceeded("titles", 3, "account a1 has 3 titles", status=429)
    assert (exc.status, str(exc)) == (
        429,
        "quota titles (limit 3) exceeded: account a1 has 3 titles",
    )
