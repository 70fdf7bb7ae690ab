"""The CLI without a running cluster: every test has a clean environment and its own home."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from reelstack.cli.main import main


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("REELSTACK_"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    """Run ``reelstack --home HOME ARGS``; return its exit code, stdout and stderr."""
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err
