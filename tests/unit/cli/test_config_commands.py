"""``reelstack config``: set, get and unset runtime values; errors are one line and exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.unit.cli.conftest import run


def test_config_set_get_unset(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "config", "get", "hello.greeting", "--json")
    assert code == 0
    assert json.loads(out)["source"] == "default"

    code, out, _ = run(capsys, tmp_path, "config", "set", "hello.greeting", "howdy")
    assert code == 0 and "hello.greeting" in out
    code, out, _ = run(capsys, tmp_path, "config", "get", "hello.greeting", "--json")
    got = json.loads(out)
    assert (got["value"], got["source"], got["scope"]) == ("howdy", "runtime", "every service")

    run(capsys, tmp_path, "config", "set", "hello.greeting", "hi", "--service", "hello")
    _, out, _ = run(capsys, tmp_path, "config", "get", "hello.greeting", "-s", "hello", "--json")
    got = json.loads(out)
    assert (got["value"], got["scope"]) == ("hi", "service hello")
    # Without --service only the global value applies.
    _, out, _ = run(capsys, tmp_path, "config", "get", "hello.greeting", "--json")
    assert json.loads(out)["value"] == "howdy"

    code, out, _ = run(capsys, tmp_path, "config", "unset", "hello.greeting")
    assert code == 0 and "unset" in out
    code, out, _ = run(capsys, tmp_path, "config", "unset", "hello.greeting")
    assert code == 0 and "was not set" in out


def test_config_get_lists_every_setting_with_its_source(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "reelstack.toml").write_text('[service]\nzone = "c"\n')
    monkeypatch.setenv("REELSTACK_LOGGING_LEVEL", "DEBUG")
    code, out, _ = run(capsys, tmp_path, "config", "get", "--json")
    assert code == 0
    rows = {row["key"]: row for row in json.loads(out)}
    assert rows["service.zone"]["source"] == f"file:{tmp_path}/reelstack.toml"
    assert rows["logging.level"]["source"] == "env:REELSTACK_LOGGING_LEVEL"
    assert rows["home"]["source"] == "args"
    assert rows["home"]["value"] == str(tmp_path)
    assert rows["cluster.zones"]["value"] == ["a", "b"]
    code, out, _ = run(capsys, tmp_path, "config", "get")
    assert code == 0 and "service.zone" in out and "file:" in out


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("config", "set", "logging.level", "LOUD"), "logging.level"),
        (("config", "set", "service.port", "9000"), "service.port"),
        (("config", "set", "no.such", "1"), "no.such"),
        (("config", "get", "no.such"), "no.such"),
        (("config", "unset", "no.such"), "no.such"),
        (("config", "get", "--service", "nope"), "nope"),
    ],
)
def test_config_errors_are_one_red_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], named: str
) -> None:
    code, out, err = run(capsys, tmp_path, *args)
    assert code == 2
    assert named in err
    assert err.startswith("error:")
    assert "Traceback" not in err + out
