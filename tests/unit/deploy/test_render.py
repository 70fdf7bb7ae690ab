"""A new service appears in every deployment file from its spec alone.

The spec here is built in the test and registered nowhere: rendering it next
to the real ones is all a new service needs.
"""

from __future__ import annotations

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
