"""The committed deploy files, read as an attacker would: what is exposed, what is secret.

Every check here failed on the files before issue 11: the compose file
published the gateway and Prometheus on every interface and wrote the
PostgreSQL and MinIO passwords in clear, PostgreSQL trusted every
connection, Kafka took anyone, and no NetworkPolicy existed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from reelstack.deploy import files, secrets
from reelstack.deploy.layout import Layout
from tests.unit.deploy.policies import allowed
from tests.unit.test_deploy import RENDERED, SERVICES

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
PUBLISH = "${REELSTACK_PUBLISH_ADDRESS:-127.0.0.1}:"
SECRET_NAME = re.compile(r"PASSWORD|SECRET|ACCESS_KEY|JAAS|TOKEN", re.IGNORECASE)
# A reference the engine or compose fills in: ${NAME:?...} or Kubernetes' $(NAME).
REFERENCE = re.compile(r"\$\{[A-Z0-9_]+:\?[^}]*\}|\$\([A-Z0-9_]+\)")
USER_PASSWORD_URL = re.compile(r"://[^/@:\s]+:[^/@\s]+@")


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def _k8s_docs() -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((DEPLOY / "k8s").glob("*.yaml")):
        if path.name == secrets.K8S_FILE.name:
            continue  # made at install, never committed
        docs.extend(doc for doc in yaml.safe_load_all(path.read_text()) if doc)
    return docs


def _workloads() -> Iterator[dict[str, Any]]:
    for doc in _k8s_docs():
        if doc["kind"] in ("Deployment", "StatefulSet", "DaemonSet"):
            yield doc


def _env_items() -> Iterator[tuple[str, str, Any]]:
    """(where, variable, value) of every environment entry; value None when from a Secret."""
    for name, service in _compose()["services"].items():
        for variable, value in (service.get("environment") or {}).items():
            yield f"compose:{name}", variable, value
    for key, value in _compose()["x-engines"].items():
        yield "compose:x-engines", key, value
    for doc in _k8s_docs():
        where = f"k8s:{doc['kind']}/{doc['metadata']['name']}"
        if doc["kind"] == "ConfigMap":
            for key, value in (doc.get("data") or {}).items():
                yield where, key, value
        spec = doc.get("spec", {}).get("template", {}).get("spec", {})
        for container in spec.get("containers", []):
            for item in container.get("env", []):
                yield where, item["name"], item.get("value")


def test_every_deploy_file_parses_and_the_render_check_covers_the_rendered_ones() -> None:
    for path in sorted([*DEPLOY.glob("*.yaml"), *DEPLOY.glob("*.yml"), *DEPLOY.glob("k8s/*.yaml")]):
        assert list(yaml.safe_load_all(path.read_text())), path
    assert files.NETWORK in RENDERED
    assert files.rendered(ROOT, SERVICES.values(), Layout.defaults()) == RENDERED


def test_every_workload_has_its_own_network_policy_under_a_default_deny() -> None:
    policies = [doc for doc in _k8s_docs() if doc["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["spec"]["podSelector"] == {} and not p["spec"].get("ingress")]
    assert deny and deny[0]["spec"]["policyTypes"] == ["Ingress"]
    own = [p for p in policies if p["spec"]["podSelector"]]
    for workload in _workloads():
        labels = workload["spec"]["template"]["metadata"]["labels"]
        selecting = [
            p
            for p in own
            if all(labels.get(k) == v for k, v in p["spec"]["podSelector"]["matchLabels"].items())
        ]
        assert selecting, f"{workload['kind']}/{workload['metadata']['name']} has no policy"
        if labels["app"] != "gateway":
            # Nothing outside the cluster reaches it, on any port.
            assert not any(allowed(policies, None, labels, port) for port in (8000, 9092, 5432))


def test_no_service_but_the_gateway_and_the_edges_serving_port_is_exposed() -> None:
    exposed = []
    for doc in _k8s_docs():
        spec = doc.get("spec", {})
        if doc["kind"] == "Service" and (
            spec.get("type", "ClusterIP") != "ClusterIP" or spec.get("externalIPs")
        ):
            exposed.append(doc["metadata"]["name"])
            if doc["metadata"]["name"].startswith("edge-"):
                # Viewers' media only: never the management port (fill, purge).
                assert [p["targetPort"] for p in spec["ports"]] == ["serve"]
        pod = spec.get("template", {}).get("spec", {})
        assert not pod.get("hostNetwork"), doc["metadata"]["name"]
        for container in pod.get("containers", []):
            assert all("hostPort" not in port for port in container.get("ports", []))
    assert exposed == ["gateway", "edge-serve-a", "edge-serve-b"]


def test_compose_publishes_only_the_gateway_and_edges_and_on_loopback_by_default() -> None:
    data = _compose()
    published = {name: svc["ports"] for name, svc in data["services"].items() if svc.get("ports")}
    assert set(published) == {"gateway-a", "gateway-b", "edge-a", "edge-b"}
    for ports in published.values():
        assert all(str(port).startswith(PUBLISH) for port in ports), ports
    # An edge publishes its serving listener alone, not its management port.
    assert all(str(port).endswith(":8002") for port in published["edge-a"] + published["edge-b"])
    assert not any(svc.get("network_mode") for svc in data["services"].values())


def test_compose_networks_are_internal_but_the_one_with_published_ports() -> None:
    data = _compose()
    networks = data["networks"]
    outside = {name for name, net in networks.items() if not (net or {}).get("internal")}
    assert outside == {"edge"}
    on_edge = {name for name, svc in data["services"].items() if "edge" in svc.get("networks", [])}
    assert on_edge == {"gateway-a", "gateway-b", "edge-a", "edge-b"}
    for name, service in data["services"].items():
        assert service.get("networks"), f"{name} is on the default (non-internal) network"
    # A service joins an engine's network only if its spec asks for the port.
    history = data["services"]["history-a"]["networks"]
    assert "sql" not in history and "widecolumn" in history


def test_no_deploy_file_carries_a_literal_secret() -> None:
    checked = 0
    for where, variable, value in _env_items():
        if value is None:
            continue  # from a Secret (valueFrom)
        text = str(value)
        assert not USER_PASSWORD_URL.search(text), f"{where}: {variable} has a password in a URL"
        if SECRET_NAME.search(variable) and "_ID" not in variable.upper():
            left = REFERENCE.sub("", text)
            literal = re.findall(r'(?:password|user_\w+)="([^"]*)"', left)
            assert not any(literal), f"{where}: {variable} has a literal password"
            if "JAAS" not in variable:
                assert left == "", f"{where}: {variable} is a literal ({text!r})"
            checked += 1
    assert checked > 20
    for doc in _k8s_docs():
        assert doc["kind"] != "Secret", f"committed Secret {doc['metadata']['name']}"
    for path in DEPLOY.rglob("*"):
        if path.is_file() and path.suffix in (".yaml", ".yml", ".env"):
            text = path.read_text()
            # The literals these files used to carry.
            assert not re.search(
                r"change-me|reelstack-secret\b|POSTGRES_PASSWORD: reelstack", text
            ), path


def test_every_secret_the_files_ask_for_is_one_the_install_makes(tmp_path: Path) -> None:
    made = secrets.write(tmp_path, SERVICES.values())
    text = (DEPLOY / "compose.yaml").read_text()
    asked = set(re.findall(r"\$\{([A-Z0-9_]+):\?", text))
    assert asked and asked <= set(made)
    k8s = {
        doc["metadata"]["name"]: set(doc["stringData"])
        for doc in yaml.safe_load_all((tmp_path / secrets.K8S_FILE).read_text())
        if doc
    }
    refs = re.findall(r"secretKeyRef: \{name: ([\w-]+), key: ([\w-]+)\}", _all_k8s_text())
    assert refs
    for name, key in refs:
        assert key in k8s.get(name, set()), f"secret {name} has no key {key}"


def _all_k8s_text() -> str:
    return "".join(
        p.read_text() for p in sorted((DEPLOY / "k8s").glob("*.yaml")) if p.name != "secrets.yaml"
    )


@pytest.mark.parametrize("where", ["compose", "k8s"])
def test_postgres_authenticates_with_scram_and_kafka_with_sasl(where: str) -> None:
    env: dict[str, Any] = {}
    services_env: dict[str, Any] = {}
    if where == "compose":
        data = _compose()
        env = {
            **data["services"]["postgres"]["environment"],
            **data["services"]["kafka-1"]["environment"],
        }
        services_env = data["x-engines"]
    else:
        for doc in _k8s_docs():
            if doc["kind"] == "StatefulSet" and doc["metadata"]["name"] in ("postgres", "kafka"):
                for item in doc["spec"]["template"]["spec"]["containers"][0]["env"]:
                    env[item["name"]] = item.get("value")
            if doc["kind"] == "ConfigMap" and doc["metadata"]["name"] == "reelstack-engines":
                services_env = doc["data"]
    assert env["POSTGRES_HOST_AUTH_METHOD"] == "scram-sha-256"
    assert "scram-sha-256" in env["POSTGRES_INITDB_ARGS"]
    protocols = dict(
        item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(",")
    )
    assert set(protocols.values()) == {"SASL_PLAINTEXT"}
    assert "user_reelstack" not in env["KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG"]
    assert services_env["REELSTACK_LOG_SASL_MECHANISM"] == env["KAFKA_SASL_ENABLED_MECHANISMS"]
    assert services_env["REELSTACK_LOG_SASL_USERNAME"] == "reelstack"


def test_the_gateway_keeps_client_addresses_and_is_probed_on_its_internal_port() -> None:
    docs = {(d["kind"], d["metadata"]["name"]): d for d in _k8s_docs()}
    assert docs[("Service", "gateway")]["spec"]["externalTrafficPolicy"] == "Local"
    for zone in ("a", "b"):
        container = docs[("Deployment", f"gateway-{zone}")]["spec"]["template"]["spec"][
            "containers"
        ][0]
        # The public port refuses /health, /ready and /metrics to all but internal
        # networks: probes (and Prometheus) use the internal port, never published.
        for probe in ("livenessProbe", "readinessProbe"):
            assert container[probe]["httpGet"]["port"] == "internal"
        ports = {p["name"]: p["containerPort"] for p in container["ports"]}
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["REELSTACK_GATEWAY_INTERNAL_PORT"] == str(ports["internal"])
    service_ports = [p["targetPort"] for p in docs[("Service", "gateway")]["spec"]["ports"]]
    assert service_ports == ["http"]
