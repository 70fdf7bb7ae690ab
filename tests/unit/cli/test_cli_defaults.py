"""Settings a command gives its cluster by default (``demo``'s), below the environment."""

from __future__ import annotations

import pytest

from reelstack.cli.context import Cli
from reelstack.gateway import settings as gateway_settings


def test_demo_defaults_yield_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    setting = gateway_settings.GATEWAY_REGION_FROM_CLIENT
    monkeypatch.delenv("REELSTACK_GATEWAY_REGION_FROM_CLIENT", raising=False)
    cli = Cli()
    assert cli.config.get(setting) is False
    cli.use_defaults({"REELSTACK_GATEWAY_REGION_FROM_CLIENT": "true"})
    assert cli.config.get(setting) is True
    monkeypatch.setenv("REELSTACK_GATEWAY_REGION_FROM_CLIENT", "false")
    cli.use_defaults({})
    assert cli.config.get(setting) is False
