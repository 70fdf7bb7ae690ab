"""``reelstack users``: accounts managed on the relational store without a running cluster."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import run
from tests.unit.identity.conftest import PASSWORD


@pytest.fixture(autouse=True)
def with_identity(clean_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    # Until the service is registered in reelstack.services.PACKAGES.
    monkeypatch.setenv("REELSTACK_SERVICES_EXTRA", "reelstack.identity")


def _add(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    home: Path,
    *args: str,
    password: str = PASSWORD,
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(password + "\n"))
    return run(capsys, home, "users", "add", "--password-stdin", *args)


def test_add_list_and_set_role(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, out, err = _add(capsys, monkeypatch, tmp_path, "ann@example.com", "--json")
    assert code == 0, err
    ann = json.loads(out)
    assert ann["roles"] == ["viewer"]
    code, _, err = _add(
        capsys, monkeypatch, tmp_path, "studio@example.com", "--roles", "studio,viewer"
    )
    assert code == 0, err
    code, out, _ = run(capsys, tmp_path, "users", "set-role", "ANN@example.com", "admin,viewer")
    assert code == 0 and "admin, viewer" in out
    code, out, _ = run(capsys, tmp_path, "users", "list", "--json")
    listed = {a["email"]: a["roles"] for a in json.loads(out)}
    assert listed == {
        "ann@example.com": ["admin", "viewer"],
        "studio@example.com": ["studio", "viewer"],
    }
    code, out, _ = run(capsys, tmp_path, "users", "list")
    assert "studio@example.com" in out


def test_refusals_say_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code, _, err = _add(capsys, monkeypatch, tmp_path, "ann@example.com", password="short")
    assert code != 0 and "at least 12" in err
    code, _, err = _add(capsys, monkeypatch, tmp_path, "ann@example.com", "--roles", "root")
    assert code != 0 and "unknown role" in err
    code, _, err = run(capsys, tmp_path, "users", "set-role", "nobody@example.com", "admin")
    assert code != 0 and "no account" in err


def test_rotate_keys_makes_a_new_key_current_and_keeps_the_old_published(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = run(capsys, tmp_path, "users", "rotate-keys", "--json")
    assert code == 0, err
    first = json.loads(out)["kid"]
    code, out, err = run(capsys, tmp_path, "users", "rotate-keys", "--json")
    assert code == 0, err
    second = json.loads(out)["kid"]
    assert second != first

    from reelstack import settings
    from reelstack.cli.users import run_identity
    from reelstack.identity import service

    jwks = run_identity(settings.load({"home": str(tmp_path)}), lambda ctx: service.jwks(ctx=ctx))
    assert {first, second} <= {key["kid"] for key in jwks["keys"]}
