"""Eureka's wire shapes: strict parsing that names the bad field, faithful JSON and XML."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import orjson
import pytest
from py_eureka_client import eureka_basic

from reelstack.registry.leases import Registry
from reelstack.registry.models import Replication, ReplicationAction
from reelstack.registry.schemas import (
    FieldError,
    applications_to_wire,
    instance_from_wire,
    instance_to_wire,
    parse_registration,
    parse_replication_batch,
)
from reelstack.registry.xmlwire import to_xml
from tests.unit.registry.conftest import wire_instance

NOW_MS = 1_700_000_000_000


def parse(wire: Any, app: str = "HELLO") -> Any:
    return parse_registration(orjson.dumps({"instance": wire}), app=app, now_ms=NOW_MS)


def test_parses_what_py_eureka_client_sends() -> None:
    instance = parse(wire_instance())
    assert (instance.app, instance.instance_id, instance.port) == (
        "HELLO",
        "127.0.0.1:hello:8080",
        8080,
    )
    assert instance.port_enabled and not instance.secure_port_enabled
    assert instance.metadata == {"zone": "a", "version": "v2", "management.port": "8080"}
    assert instance.last_dirty_ms == 1_700_000_000_000
    assert (instance.renewal_interval_s, instance.duration_s) == (30, 90)


def test_accepts_java_shapes() -> None:
    instance = parse(
        wire_instance(
            port=8081,
            metadata={"@class": "java.util.Collections$EmptyMap"},
            overriddenStatus="OUT_OF_SERVICE",
            lastDirtyTimestamp=1234,
            app="hello",
        ),
        app="hello",
    )
    assert instance.port == 8081 and instance.metadata == {}
    assert instance.overridden_status == "OUT_OF_SERVICE" and instance.last_dirty_ms == 1234


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"port": {"$": "eighty", "@enabled": "true"}}, "instance.port"),
        ({"port": {"$": 70000}}, "instance.port"),
        ({"port": {"@enabled": "true"}}, "instance.port"),
        ({"port": {"$": 80, "@enabled": "maybe"}}, "instance.port.@enabled"),
        ({"status": "HAPPY"}, "instance.status"),
        ({"hostName": None}, "instance.hostName"),
        ({"ipAddr": 12}, "instance.ipAddr"),
        ({"vipAddress": ""}, "instance.vipAddress"),
        ({"app": "OTHER"}, "instance.app"),
        ({"dataCenterInfo": None}, "instance.dataCenterInfo"),
        ({"dataCenterInfo": {"@class": "x"}}, "instance.dataCenterInfo.name"),
        ({"leaseInfo": {"durationInSecs": 0}}, "instance.leaseInfo.durationInSecs"),
        (
            {"leaseInfo": {"renewalIntervalInSecs": "soon"}},
            "instance.leaseInfo.renewalIntervalInSecs",
        ),
        ({"metadata": {"zone": {"nested": 1}}}, "instance.metadata.zone"),
        ({"metadata": ["zone"]}, "instance.metadata"),
        ({"lastDirtyTimestamp": "yesterday"}, "instance.lastDirtyTimestamp"),
    ],
)
def test_a_bad_field_is_named(change: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse(wire_instance(**change))
    assert caught.value.field == field
    assert caught.value.body()["field"] == field


@pytest.mark.parametrize(
    ("body", "field"),
    [(b"not json", "instance"), (b"[]", "instance"), (b'{"instance": 3}', "instance")],
)
def test_a_bad_body_is_named(body: bytes, field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_registration(body, app="HELLO", now_ms=NOW_MS)
    assert caught.value.field == field


def test_instance_id_defaults_to_the_host_name() -> None:
    wire = wire_instance()
    del wire["instanceId"]
    assert parse(wire).instance_id == "127.0.0.1"


def test_json_round_trip_keeps_the_instance() -> None:
    registry = Registry()
    lease = registry.register(parse(wire_instance(asgName="hello-v2")))
    wire = instance_to_wire(lease)
    assert wire["port"] == {"$": 8080, "@enabled": "true"}
    assert wire["asgName"] == "hello-v2" and wire["status"] == "UP"
    again = instance_from_wire(wire, app="HELLO", now_ms=NOW_MS)
    lease.instance.last_updated_ms = again.last_updated_ms
    assert again == lease.instance


def test_replication_shows_the_own_status_and_clients_the_effective_one() -> None:
    registry = Registry()
    registry.register(parse(wire_instance()))
    lease = registry.override_status("HELLO", "127.0.0.1:hello:8080", "OUT_OF_SERVICE")
    assert lease is not None
    assert instance_to_wire(lease)["status"] == "OUT_OF_SERVICE"
    own = instance_to_wire(lease, own_status=True)
    assert (own["status"], own["overriddenStatus"]) == ("UP", "OUT_OF_SERVICE")


def test_xml_reads_as_py_eureka_client_reads_it() -> None:
    registry = Registry()
    registry.register(parse(wire_instance()))
    registry.register(parse(wire_instance(instanceId="b", metadata={"bad key": "x", "zone": "b"})))
    document = applications_to_wire(
        registry.applications(), version=registry.version, hashcode=registry.hashcode()
    )
    xml = to_xml(document)
    apps = eureka_basic._build_applications(ElementTree.fromstring(xml))
    assert apps.appsHashcode == "UP_2_" and apps.versionsDelta == str(registry.version)
    (app,) = apps.applications
    assert app.name == "HELLO"
    by_id = {i.instanceId: i for i in app.instances}
    assert by_id["b"].port.port == 8080 and by_id["b"].port.enabled
    assert by_id["b"].metadata == {"zone": "b"}  # a key XML cannot name is left out
    assert by_id["127.0.0.1:hello:8080"].leaseInfo.durationInSecs == 90
    assert by_id["127.0.0.1:hello:8080"].overriddenstatus == "UNKNOWN"


def test_xml_escapes_text() -> None:
    xml = to_xml({"instance": {"hostName": "a<b>&c", "port": {"$": 1, "@enabled": 't"x'}}})
    root = ElementTree.fromstring(xml)
    assert root.findtext("hostName") == "a<b>&c"
    port = root.find("port")
    assert port is not None and port.attrib["enabled"] == 't"x'


def test_replication_batch_round_trip() -> None:
    tasks = [
        Replication(ReplicationAction.HEARTBEAT, "HELLO", "a", last_dirty_ms=5, status="UP"),
        Replication(ReplicationAction.REGISTER, "HELLO", "b", instance=wire_instance()),
        Replication(ReplicationAction.STATUS_UPDATE, "HELLO", "c", status="OUT_OF_SERVICE"),
    ]
    body = orjson.dumps({"replicationList": [task.to_wire() for task in tasks]})
    assert parse_replication_batch(body) == tasks


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"appName": "A", "id": "1", "action": "Explode"}, "replicationList[0].action"),
        ({"appName": "A", "action": "Cancel"}, "replicationList[0].id"),
        ({"appName": "A", "id": "1", "action": "Register"}, "replicationList[0].instanceInfo"),
        (
            {"appName": "A", "id": "1", "action": "Heartbeat", "status": "X"},
            "replicationList[0].status",
        ),
    ],
)
def test_a_bad_replication_item_is_named(item: dict[str, Any], field: str) -> None:
    with pytest.raises(FieldError) as caught:
        parse_replication_batch(orjson.dumps({"replicationList": [item]}))
    assert caught.value.field == field
