"""The control token file: made once, private, and never trusted when others could read it."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from reelstack.cluster import auth


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_first_start_makes_a_private_token_and_later_starts_keep_it(tmp_path: Path) -> None:
    assert auth.read(tmp_path) is None
    old = os.umask(0)  # the file is private whatever umask the operator runs with
    try:
        token = auth.ensure(tmp_path)
    finally:
        os.umask(old)
    path = auth.token_path(tmp_path)
    assert _mode(path) == 0o600
    assert len(token) >= 43
    assert auth.read(tmp_path) == token
    assert auth.ensure(tmp_path) == token
    assert [p.name for p in path.parent.iterdir()] == [auth.TOKEN_FILE]


def test_two_homes_get_different_tokens(tmp_path: Path) -> None:
    assert auth.ensure(tmp_path / "a") != auth.ensure(tmp_path / "b")


def test_a_token_others_could_read_is_replaced(tmp_path: Path) -> None:
    token = auth.ensure(tmp_path)
    path = auth.token_path(tmp_path)
    path.chmod(0o644)
    assert auth.read(tmp_path) is None
    fresh = auth.ensure(tmp_path)
    assert fresh != token
    assert _mode(path) == 0o600


def test_a_symlinked_or_short_token_file_is_not_trusted(tmp_path: Path) -> None:
    elsewhere = tmp_path / "planted"
    elsewhere.write_text("p" * 50 + "\n")
    elsewhere.chmod(0o600)
    path = auth.token_path(tmp_path / "home")
    path.parent.mkdir(parents=True)
    path.symlink_to(elsewhere)
    assert auth.read(tmp_path / "home") is None
    token = auth.ensure(tmp_path / "home")
    assert token != "p" * 50
    assert not path.is_symlink()
    assert elsewhere.read_text() == "p" * 50 + "\n"
    path.write_text("short\n")
    assert auth.read(tmp_path / "home") is None
