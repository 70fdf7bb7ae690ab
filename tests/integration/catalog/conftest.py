"""The catalog's integration tests: settings under a temporary home."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Default settings, every folder under ``tmp_path``."""
    environ = {"REELSTACK_HOME": str(tmp_path), "REELSTACK_SERVICE_NAME": "catalog"}
    return Config.load(settings.REGISTRY, environ=environ)
