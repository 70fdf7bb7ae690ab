"""``sql.password``: the deploy files share one URL and keep the password in a secret."""

from __future__ import annotations

from pathlib import Path

from reelstack import settings
from reelstack.adapters.sql import sqlalchemy
from reelstack.config import Config

URL = "postgresql+asyncpg://reelstack@postgres:5432/reelstack"


def load(tmp_path: Path, **env: str) -> Config:
    return settings.load(environ={"REELSTACK_HOME": str(tmp_path), **env})


def test_the_password_setting_replaces_the_urls(tmp_path: Path) -> None:
    # Characters a URL would need escaped arrive intact.
    config = load(tmp_path, REELSTACK_SQL_PASSWORD="p@ss/w:rd%")
    database = sqlalchemy.from_url(URL.replace("reelstack@", "reelstack:old@"), config)
    assert database.url.password == "p@ss/w:rd%"
    assert (database.url.username, database.url.host) == ("reelstack", "postgres")
    assert "p@ss" not in repr(database) and "p@ss" not in database.where


def test_without_it_the_urls_own_password_is_kept(tmp_path: Path) -> None:
    database = sqlalchemy.from_url(URL.replace("reelstack@", "reelstack:own@"), load(tmp_path))
    assert database.url.password == "own"
