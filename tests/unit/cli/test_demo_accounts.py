"""The demo's accounts: made once, made again harmlessly, and they sign in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.cli import demo_accounts
from reelstack.cli.users import run_identity
from reelstack.identity import profiles, service
from reelstack.identity.context import IdentityContext
from tests.unit.cli.conftest import run


def test_the_demo_accounts_are_made_once_and_sign_in(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    config = settings.load({"home": str(tmp_path)})
    made = demo_accounts.ensure(config)
    assert "viewer@example.com" in made and "studio@example.com" in made
    assert "viewer@example.com: profile Kids" in made
    # Someone demoted the studio account; the next demo run puts it back and
    # makes nothing twice.
    code, _, err = run(capsys, tmp_path, "users", "set-role", "studio@example.com", "viewer")
    assert code == 0, err
    assert demo_accounts.ensure(config) == []
    code, out, _ = run(capsys, tmp_path, "users", "list", "--json")
    roles = {a["email"]: a["roles"] for a in json.loads(out)}
    assert roles == {
        "viewer@example.com": ["viewer"],
        "studio@example.com": ["viewer", "studio"],
        "admin@example.com": ["viewer", "studio", "admin"],
    }

    async def check(ctx: IdentityContext) -> None:
        for demo in demo_accounts.DEMO_ACCOUNTS:
            tokens = await service.sign_in(
                ctx=ctx, email=demo.email, password=demo.password, address=None
            )
            assert tokens.access_token
        viewer = next(a for a in await service.list_accounts(ctx=ctx) if "viewer@" in a.email)
        held = await profiles.list_profiles(ctx=ctx, account_id=viewer.id)
        assert sorted((p.name, p.kids, p.maturity.value) for p in held) == [
            ("Alex", False, "adults"),
            ("Kids", True, "kids"),
        ]

    run_identity(config, check)
