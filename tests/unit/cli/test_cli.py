"""The CLI without a running cluster: config commands, errors, status when stopped."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from reelstack.cli.main import main
from reelstack.cluster.statefile import SupervisorLock


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("REELSTACK_"):
            monkeypatch.delenv(name)


def run(capsys: pytest.CaptureFixture[str], home: Path, *args: str) -> tuple[int, str, str]:
    code = main(["--home", str(home), *args])
    out, err = capsys.readouterr()
    return code, out, err


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


def test_an_invalid_environment_setting_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REELSTACK_CLUSTER_ZONES", "a,a")
    code, _, err = run(capsys, tmp_path, "status")
    assert code == 2
    assert "cluster.zones" in err and "env:REELSTACK_CLUSTER_ZONES" in err


def test_status_when_not_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "status", "--json")
    assert (code, json.loads(out)) == (0, [])
    code, out, _ = run(capsys, tmp_path, "status")
    assert code == 0 and "not running" in out
    code, out, _ = run(capsys, tmp_path, "instances", "list", "--json")
    assert (code, json.loads(out)) == (0, [])


def test_commands_that_need_the_cluster_say_it_is_not_running(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for args in (
        ("instances", "kill", "hello-a-1"),
        ("scale", "hello", "3"),
        ("deploy", "start-version", "hello", "v2"),
    ):
        code, _, err = run(capsys, tmp_path, *args)
        assert code == 1, args
        assert "not running" in err and "reelstack up" in err


def test_down_when_not_running(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, tmp_path, "down")
    assert code == 0 and "not running" in out


def test_a_supervisor_still_starting_lists_no_instances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A lock held with no state file: a supervisor still starting, from the CLI's view.
    lock = SupervisorLock(tmp_path)
    assert lock.acquire()
    try:
        code, out, _ = run(capsys, tmp_path, "status", "--json")
        assert (code, json.loads(out)) == (0, [])
    finally:
        lock.release()


def test_usage_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, _ = run(capsys, tmp_path, "scale", "hello", "-1")
    assert code == 2
    code, _, _ = run(capsys, tmp_path, "no-such-command")
    assert code == 2


def test_deploy_render_writes_then_check_names_what_drifted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, _, _ = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 1  # nothing there yet

    code, stdout, _ = run(capsys, tmp_path, "deploy", "render", "--out", str(out))
    assert code == 0 and "deploy/compose.yaml" in stdout
    assert "REELSTACK_SERVICE_NAME: media-worker" in (out / "deploy/compose.yaml").read_text()
    assert "name: media-worker-b" in (out / "deploy/k8s/services.yaml").read_text()
    code, stdout, _ = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 0 and "up to date" in stdout

    k8s = out / "deploy/k8s/services.yaml"
    k8s.write_text(k8s.read_text().replace("replicas: 1", "replicas: 3", 1))
    code, _, err = run(capsys, tmp_path, "deploy", "render", "--check", "--out", str(out))
    assert code == 1
    assert "deploy/k8s/services.yaml" in err and "deploy/compose.yaml" not in err
    assert "make deploy-render" in err
    assert "replicas: 3" in k8s.read_text()  # --check writes nothing
