"""A new service appears in every deployment file from its spec alone.

The spec here is built in the test and registered nowhere: rendering it next
to the real ones is all a new service needs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from reelstack import services
from reelstack.chassis.spec import Deploy, ServiceSpec, Volume
from reelstack.deploy import compose, k8s, service_table
from reelstack.deploy.layout import Layout

LAYOUT = Layout(zones=("a", "b"), instances=2)

RATINGS = ServiceSpec(
    name="ratings",
    app="ratings.app:create_app",
    ports=("sql", "cache"),
    settings="ratings.settings",
    migrations="ratings",
    routes=("/api/ratings;public=GET",),
    deploy=Deploy(
        volumes=(Volume("ratings-dumps", "ratings.dump_dir", "/var/lib/reelstack/dumps"),),
        stop_grace_s=45,
    ),
    package="ratings",
)


def _specs(*extra: ServiceSpec) -> list[ServiceSpec]:
    return [*services.specs().values(), *extra]


def _k8s(specs: list[ServiceSpec], layout: Layout = LAYOUT) -> dict[tuple[str, str], Any]:
    docs = [doc for doc in yaml.safe_load_all(k8s.render(specs, layout)) if doc]
    return {(doc["kind"], doc["metadata"]["name"]): doc for doc in docs}


def _env(container: dict[str, Any]) -> dict[str, Any]:
    return {item["name"]: item.get("value") for item in container["env"]}


def test_a_new_spec_gets_a_compose_service_per_zone() -> None:
    data = yaml.safe_load(compose.render(_specs(RATINGS), LAYOUT))
    for zone in ("a", "b"):
        entry = data["services"][f"ratings-{zone}"]
        env = entry["environment"]
        assert env["REELSTACK_SERVICE_NAME"] == "ratings"
        assert env["REELSTACK_SERVICE_ZONE"] == zone
        assert env["REELSTACK_SERVICE_ADVERTISE_HOST"] == f"ratings-{zone}"
        assert env["REELSTACK_INSTANCE_ID"] == f"ratings-{zone}-1"
        assert env["REELSTACK_RATINGS_DUMP_DIR"] == "/var/lib/reelstack/dumps"
        # The engines' addresses and the shared build come from the anchors.
        assert env["REELSTACK_SQL_URL"].startswith("postgresql")
        assert entry["image"] == "reelstack:local" and "postgres" in entry["depends_on"]
        assert entry["volumes"] == ["ratings-dumps:/var/lib/reelstack/dumps"]
        assert "ports" not in entry
    assert "ratings-dumps" in data["volumes"]
    # The services that were there before are all still there.
    assert {"registry-a", "gateway-b", "media-worker-a", "kafka-3"} <= set(data["services"])


def test_a_new_spec_gets_a_k8s_deployment_per_zone_and_its_volume_claim() -> None:
    docs = _k8s(_specs(RATINGS))
    for zone in ("a", "b"):
        deployment = docs[("Deployment", f"ratings-{zone}")]
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["selector"]["matchLabels"] == {"app": "ratings", "zone": zone}
        pod = deployment["spec"]["template"]["spec"]
        assert pod["terminationGracePeriodSeconds"] == 45
        (container,) = pod["containers"]
        env = _env(container)
        assert env["REELSTACK_SERVICE_NAME"] == "ratings"
        assert env["REELSTACK_SERVICE_ZONE"] == zone
        assert env["REELSTACK_RATINGS_DUMP_DIR"] == "/var/lib/reelstack/dumps"
        assert container["readinessProbe"]["httpGet"]["path"] == "/ready"
        assert container["volumeMounts"] == [
            {"name": "ratings-dumps", "mountPath": "/var/lib/reelstack/dumps"}
        ]
        assert pod["volumes"][0]["persistentVolumeClaim"] == {"claimName": "ratings-dumps"}
    assert ("PersistentVolumeClaim", "ratings-dumps") in docs
    # Neither addressable nor public: no Kubernetes Service of its own.
    assert not [key for key in docs if key[0] == "Service" and key[1].startswith("ratings")]


def test_a_new_spec_gets_a_row_in_the_service_table() -> None:
    table = service_table.table(_specs(RATINGS), LAYOUT)
    (row,) = [line for line in table.splitlines() if line.startswith("| `ratings`")]
    assert "`sql`, `cache`" in row
    assert "`/api/ratings;public=GET`" in row
    assert "| `ratings` | 2 (1 in a, 1 in b) |" in row
    assert "volume `ratings-dumps`" in row


def test_public_and_addressable_services_get_kubernetes_services() -> None:
    spec = ServiceSpec(
        name="edge", app="edge:app", deploy=Deploy(public_port=9100, addressable=True)
    )
    docs = _k8s([spec])
    assert docs[("Service", "edge")]["spec"]["type"] == "LoadBalancer"
    assert docs[("Service", "edge")]["spec"]["selector"] == {"app": "edge"}
    assert docs[("Service", "edge-a")]["spec"]["selector"] == {"app": "edge", "zone": "a"}
    assert ("Service", "edge-b") in docs
    published = yaml.safe_load(compose.render([spec], LAYOUT))["services"]
    # On loopback unless the operator names an address (compose fills the default).
    assert published["edge-a"]["ports"] == ["${REELSTACK_PUBLISH_ADDRESS:-127.0.0.1}:9100:8000"]
    assert published["edge-b"]["ports"] == ["${REELSTACK_PUBLISH_ADDRESS:-127.0.0.1}:9101:8000"]


def test_instances_beyond_the_zones_add_replicas_and_compose_services() -> None:
    spec = ServiceSpec(name="busy", app="busy:app", instances=3)
    docs = _k8s([spec])
    assert docs[("Deployment", "busy-a")]["spec"]["replicas"] == 2
    assert docs[("Deployment", "busy-b")]["spec"]["replicas"] == 1
    entries = yaml.safe_load(compose.render([spec], LAYOUT))["services"]
    ids = {
        name: entry["environment"]["REELSTACK_INSTANCE_ID"]
        for name, entry in entries.items()
        if name.startswith("busy")
    }
    assert ids == {
        "busy-a": "busy-a-1",
        "busy-b": "busy-b-1",
        "busy-a-2": "busy-a-2",
    }


def test_one_instance_runs_in_the_first_zone_only() -> None:
    spec = ServiceSpec(name="solo", app="solo:app", instances=1)
    docs = _k8s([spec])
    assert ("Deployment", "solo-a") in docs and ("Deployment", "solo-b") not in docs


def test_a_service_that_needs_no_engines_starts_without_them() -> None:
    spec = ServiceSpec(name="early", app="early:app", deploy=Deploy(needs_engines=False))
    entry = yaml.safe_load(compose.render([spec], LAYOUT))["services"]["early-a"]
    assert entry["depends_on"] == []


def test_every_registry_instance_is_in_the_discovery_urls() -> None:
    registry = services.specs()["registry"]
    layout = Layout(zones=("a", "b", "c"), instances=3)
    data = yaml.safe_load(compose.render([registry], layout))
    assert data["x-engines"]["REELSTACK_EUREKA_URLS"] == (
        "a=http://registry-a:8000/eureka,b=http://registry-b:8000/eureka,"
        "c=http://registry-c:8000/eureka"
    )
    assert (
        "REELSTACK_EUREKA_URLS"
        not in yaml.safe_load(compose.render([RATINGS], layout))["x-engines"]
    )


def test_an_edge_publishes_its_serving_port_and_keeps_management_internal() -> None:
    published = yaml.safe_load(compose.render(_specs(), LAYOUT))["services"]
    for slot, zone in enumerate(("a", "b")):
        entry = published[f"edge-{zone}"]
        # Only the viewers' listener: /edge/fill and /edge/purge (port 8000) are not published.
        assert entry["ports"] == [f"${{REELSTACK_PUBLISH_ADDRESS:-127.0.0.1}}:{8600 + slot}:8002"]
        env = entry["environment"]
        assert env["REELSTACK_EDGE_SERVE_HOST"] == "0.0.0.0"
        assert env["REELSTACK_EDGE_SERVE_PORT"] == "8002"
        public = f"http://${{REELSTACK_PUBLIC_HOST:-localhost}}:{8600 + slot}"
        assert env["REELSTACK_EDGE_PUBLIC_URL"] == public
    # No other service publishes a port but the gateway.
    ports = {name for name, entry in published.items() if entry.get("ports")}
    assert {name.rsplit("-", 1)[0] for name in ports} == {"gateway", "edge"}

    docs = _k8s(_specs())
    for zone in ("a", "b"):
        service = docs[("Service", f"edge-serve-{zone}")]["spec"]
        assert service["type"] == "LoadBalancer"
        assert service["selector"] == {"app": "edge", "zone": zone}
        assert service["ports"] == [{"port": 80, "targetPort": "serve"}]
        pod = docs[("Deployment", f"edge-{zone}")]["spec"]["template"]["spec"]
        (container,) = pod["containers"]
        assert {"containerPort": 8002, "name": "serve"} in container["ports"]
        url = next(e for e in container["env"] if e["name"] == "REELSTACK_EDGE_PUBLIC_URL")
        assert url["valueFrom"]["configMapKeyRef"]["key"] == f"edge-{zone}"
    # No load balancer or Service reaches the edges' management port.
    for (kind, name), doc in docs.items():
        if kind == "Service" and doc["spec"].get("selector", {}).get("app") == "edge":
            assert [p["targetPort"] for p in doc["spec"]["ports"]] == ["serve"], name


def test_the_k8s_config_names_a_public_url_for_every_edge_zone() -> None:
    config = Path(__file__).parents[3] / "deploy" / "k8s" / "config.yaml"
    docs = [doc for doc in yaml.safe_load_all(config.read_text()) if doc]
    (listeners,) = [d for d in docs if d["metadata"]["name"] == k8s.LISTENER_URLS]
    wanted = {key[1].removeprefix("edge-serve-") for key in _k8s(_specs()) if "serve" in key[1]}
    assert {f"edge-{zone}" for zone in wanted} <= set(listeners["data"])
