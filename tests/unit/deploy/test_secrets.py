"""``reelstack deploy secrets``: fresh values, private files, kept across runs, never printed."""

from __future__ import annotations

import base64
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from reelstack import services
from reelstack.deploy import secrets
from reelstack.registry_credentials import CredentialChecker, CredentialError, authorization
from tests.unit.cli.conftest import run

ROOT = Path(__file__).resolve().parents[3]
SPECS = list(services.specs().values())


def _secrets_yaml(root: Path) -> dict[str, dict[str, str]]:
    docs = yaml.safe_load_all((root / secrets.K8S_FILE).read_text())
    return {doc["metadata"]["name"]: doc["stringData"] for doc in docs if doc}


def test_both_files_are_private_and_carry_the_same_fresh_values(tmp_path: Path) -> None:
    found = secrets.write(tmp_path, SPECS)
    for path in (secrets.ENV_FILE, secrets.K8S_FILE):
        mode = stat.S_IMODE((tmp_path / path).stat().st_mode)
        assert mode == 0o600, f"{path}: {oct(mode)}"
    assert secrets.read_env(tmp_path / secrets.ENV_FILE) == found
    assert len(set(found.values())) == len(found)  # no value reused for two secrets
    assert all(len(value) >= 26 for value in found.values())
    k8s = _secrets_yaml(tmp_path)
    shared = {item.name for item in secrets.SECRETS if item.services}
    shared |= {secrets.credential_name(spec.name) for spec in SPECS if spec.name != "registry"}
    assert k8s[secrets.SERVICE_SECRET] == {name: found[name] for name in shared}
    assert k8s[secrets.KAFKA_SECRET] == {
        "broker-password": found[secrets.BROKER_PASSWORD],
        "client-password": found["REELSTACK_LOG_SASL_PASSWORD"],
    }
    other = secrets.write(tmp_path / "elsewhere", SPECS)
    assert set(other.values()).isdisjoint(found.values())  # random, not derived


def test_a_second_run_keeps_the_values_and_rotate_replaces_them(tmp_path: Path) -> None:
    first = secrets.write(tmp_path, SPECS)
    # PostgreSQL keeps the password it was initialised with: a rerun must too.
    assert secrets.write(tmp_path, SPECS) == first
    env = tmp_path / secrets.ENV_FILE
    env.write_text(
        env.read_text().replace(f"KAFKA_BROKER_PASSWORD={first['KAFKA_BROKER_PASSWORD']}", "")
    )
    refilled = secrets.write(tmp_path, SPECS)
    assert (
        refilled["KAFKA_BROKER_PASSWORD"]
        and refilled["REELSTACK_SQL_PASSWORD"] == first["REELSTACK_SQL_PASSWORD"]
    )
    rotated = secrets.write(tmp_path, SPECS, rotate=True)
    assert set(rotated.values()).isdisjoint(first.values())


def test_a_world_readable_old_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    env = tmp_path / secrets.ENV_FILE
    env.parent.mkdir(parents=True)
    env.write_text("REELSTACK_SQL_PASSWORD=kept\n")
    env.chmod(0o644)
    assert secrets.write(tmp_path, SPECS)["REELSTACK_SQL_PASSWORD"] == "kept"
    assert stat.S_IMODE(env.stat().st_mode) == 0o600


def test_the_generated_files_are_ignored_by_git() -> None:
    for path in (secrets.ENV_FILE, secrets.K8S_FILE):
        done = subprocess.run(
            ["git", "check-ignore", "-q", str(path)], cwd=ROOT, check=False, capture_output=True
        )
        assert done.returncode == 0, f"{path} is not ignored by git"


def test_the_command_names_the_files_and_never_prints_a_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    code, stdout, _ = run(capsys, tmp_path, "deploy", "secrets", "--out", str(out))
    assert code == 0 and "deploy/secrets.env" in stdout and "REELSTACK_SQL_PASSWORD" in stdout
    values = secrets.read_env(out / secrets.ENV_FILE)
    assert values and not any(value in stdout for value in values.values())
    code, _, _ = run(capsys, tmp_path, "deploy", "secrets", "--out", str(out), "--rotate")
    assert code == 0 and secrets.read_env(out / secrets.ENV_FILE) != values


def test_a_services_credential_lets_it_write_to_the_registry_only_as_itself(
    tmp_path: Path,
) -> None:
    found = secrets.write(tmp_path, SPECS)
    checker = CredentialChecker(found["REELSTACK_CLUSTER_SECRET"].encode())
    media = found[secrets.credential_name("media")]
    header = authorization(found["REELSTACK_CLUSTER_SECRET"].encode(), "media")
    assert checker.principal(header) == "media"
    assert media in secrets.read_env(tmp_path / secrets.ENV_FILE).values()
    forged = "Basic " + base64.b64encode(f"identity:{media}".encode()).decode()
    with pytest.raises(CredentialError):
        checker.principal(forged)  # media's credential does not pass as identity


def test_only_the_registry_is_given_the_cluster_secret() -> None:
    for spec in SPECS:
        names = dict(secrets.needed(spec))
        if spec.name == "registry":
            assert names == {"REELSTACK_CLUSTER_SECRET": "REELSTACK_CLUSTER_SECRET"}
        else:
            assert "REELSTACK_CLUSTER_SECRET" not in names
            assert names["REELSTACK_EUREKA_CREDENTIAL"] == secrets.credential_name(spec.name)
        assert ("REELSTACK_SQL_PASSWORD" in names) == ("sql" in spec.ports), spec.name


def test_the_generated_files_stay_out_of_the_image_build_context() -> None:
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    assert str(secrets.ENV_FILE) in ignored and str(secrets.K8S_FILE) in ignored
