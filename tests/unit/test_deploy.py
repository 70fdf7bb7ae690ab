"""The compose file and the Kubernetes manifests name only real services and settings.

They cannot run here (no Docker, no cluster), so this keeps them honest: every
``REELSTACK_*`` variable they set is a declared setting whose value parses,
and every service in :data:`reelstack.services.SERVICES` runs in both.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reelstack import services, settings

REGISTRY = settings.registry()
SERVICES = services.specs()

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
PREFIX = "REELSTACK_"


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _compose_envs() -> Iterator[tuple[str, dict[str, Any]]]:
    for name, service in _compose()["services"].items():
        yield f"compose:{name}", dict(service.get("environment") or {})


def _containers(doc: dict[str, Any]) -> list[dict[str, Any]]:
    spec = doc.get("spec", {}).get("template", {}).get("spec", {})
    containers: list[dict[str, Any]] = spec.get("containers", [])
    return containers


def _k8s_envs() -> Iterator[tuple[str, dict[str, Any]]]:
    for doc in _k8s_docs():
        where = f"k8s:{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "ConfigMap":
            yield where, dict(doc.get("data") or {})
        elif doc["kind"] == "Secret":
            yield where, dict(doc.get("stringData") or {})
        for container in _containers(doc):
            env = {item["name"]: item.get("value", None) for item in container.get("env", [])}
            yield f"{where}/{container['name']}", env


def _all_envs() -> list[tuple[str, dict[str, Any]]]:
    return [*_compose_envs(), *_k8s_envs()]


def test_every_reelstack_variable_is_a_setting_and_its_value_parses() -> None:
    by_env = REGISTRY.by_env()
    checked = 0
    for where, env in _all_envs():
        for variable, value in env.items():
            if not variable.startswith(PREFIX):
                continue
            assert variable in by_env, f"{where}: {variable} is no reelstack setting"
            if value is None:  # set from the pod (valueFrom)
                continue
            setting = by_env[variable]
            try:
                setting.parse(str(value))
            except ValueError as exc:
                pytest.fail(f"{where}: {variable}={value!r} does not parse: {exc}")
            checked += 1
    assert checked > 20  # the files really were read


def _compose_services_run() -> set[str]:
    return {
        str(env["REELSTACK_SERVICE_NAME"])
        for where, env in _compose_envs()
        if "REELSTACK_SERVICE_NAME" in env
    }


def _k8s_services_run() -> set[str]:
    return {
        str(env["REELSTACK_SERVICE_NAME"])
        for where, env in _k8s_envs()
        if env.get("REELSTACK_SERVICE_NAME")
    }


@pytest.mark.parametrize("runs", [_compose_services_run, _k8s_services_run])
def test_every_service_runs_and_only_known_services(runs: Any) -> None:
    named = runs()
    assert named - set(SERVICES) == set(), "unknown services"
    assert set(SERVICES) - named == set(), "services missing from the deployment"


@pytest.mark.parametrize("runs", [_compose_services_run, _k8s_services_run])
def test_every_service_runs_in_two_zones(runs: Any) -> None:
    zones: dict[str, set[str]] = {}
    sources = _compose_envs() if runs is _compose_services_run else _k8s_envs()
    for _, env in sources:
        if env.get("REELSTACK_SERVICE_NAME"):
            zones.setdefault(str(env["REELSTACK_SERVICE_NAME"]), set()).add(
                str(env.get("REELSTACK_SERVICE_ZONE"))
            )
    assert zones and all(found == {"a", "b"} for found in zones.values()), zones
