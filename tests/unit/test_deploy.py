"""The compose file, the Kubernetes manifests and the architecture page's service
table are what ``reelstack deploy render`` writes from the specs, and name only
real services and settings.

They cannot run here (no Docker, no cluster), so this keeps them honest: each
file is exactly its render from :func:`reelstack.services.specs`, every
``REELSTACK_*`` variable they set is a declared setting whose value parses,
and every service runs in both zones.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reelstack import services, settings
from reelstack.deploy import files
from reelstack.deploy.layout import Layout

REGISTRY = settings.registry()  # every service's settings too
SERVICES = services.specs()

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PREFIX = "REELSTACK_"


RENDERED = files.rendered(ROOT, SERVICES.values(), Layout.defaults())


def test_the_render_covers_the_architecture_page() -> None:
    assert set(RENDERED) == {files.COMPOSE, files.K8S, files.NETWORK, files.ARCHITECTURE}


@pytest.mark.parametrize("path", sorted(RENDERED), ids=str)
def test_committed_file_is_its_render_from_the_specs(path: Path) -> None:
    committed = (ROOT / path).read_text()
    if committed != RENDERED[path]:
        diff = "".join(
            difflib.unified_diff(
                committed.splitlines(keepends=True),
                RENDERED[path].splitlines(keepends=True),
                f"{path} (committed)",
                f"{path} (rendered)",
                n=1,
            )
        )
        pytest.fail(
            f"{path} differs from its render from the service specs; run `make deploy-render`"
            f" (reelstack deploy render) and commit the result:\n{diff[:3000]}",
            pytrace=False,
        )


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
