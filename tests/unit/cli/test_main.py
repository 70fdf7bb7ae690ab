"""The entry point: invalid settings and usage errors exit 2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.cli.conftest import run


def test_an_invalid_environment_setting_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELSTACK_CLUSTER_ZONES", "a,a")
    code, _, err = run(capsys, tmp_path, "status")
    assert code == 2
    assert "cluster.zones" in err and "env:REELSTACK_CLUSTER_ZONES" in err


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, tmp_path, "scale", "hello", "-1")
    assert code == 2
    code, _, _ = run(capsys, tmp_path, "no-such-command")
    assert code == 2
