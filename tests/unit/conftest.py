"""Fixtures for unit tests of any package: a config under tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import Config


@pytest.fixture
def make_config(tmp_path: Path) -> Callable[..., Config]:
    def make(**values: str) -> Config:
        environ: Mapping[str, str] = {
            "REELSTACK_HOME": str(tmp_path),
            "REELSTACK_SERVICE_NAME": "hello",
            "REELSTACK_SERVICE_PORT": "18199",
            "REELSTACK_SERVICE_ZONE": "b",
            **{settings.REGISTRY[k].env: v for k, v in values.items()},
        }
        return Config.load(settings.REGISTRY, environ=environ)

    return make
