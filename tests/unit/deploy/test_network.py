"""Who may reach whom, asked of the rendered NetworkPolicies as an attacker would.

Each test is a connection someone would try: from outside the cluster, from
a compromised service to another or to an engine it never uses. The policies
are evaluated by :mod:`tests.unit.deploy.policies`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from reelstack import services
from reelstack.chassis.spec import Deploy, ServiceSpec
from reelstack.deploy import network
from reelstack.deploy.layout import HTTP_PORT, SERVE_PORT
from reelstack.errors import SpecError
from tests.unit.deploy.policies import allowed

SPECS = services.specs()
ROUTED = {
    "hello",
    "media",
    "identity",
    "history",
    "catalog",
    "playback",
    "events",
    "recommendations",
    "router",
}
# The real call graph, written out so that a change to it shows in review.
CALLS: dict[str, set[str]] = {
    "gateway": ROUTED | {"registry"},
    "history": {"catalog", "registry"},
    "playback": {"catalog", "history", "identity", "media", "registry"},
    "recommendations": {"catalog", "history", "registry"},
    "router": {"catalog", "history", "identity", "playback", "recommendations", "registry"},
    "registry": {"registry"},  # peer replication
    "edge": {"recommendations", "registry"},  # popular titles for the fill
}
ENGINE_USERS = {
    "postgres": {"hello", "media", "media-worker", "identity", "catalog", "playback"},
    "kafka": {"media", "media-worker", "catalog", "events", "playback", "recommendations"},
    "cassandra": {"history", "recommendations"},
    "memcached": {"hello", "recommendations", "router"},
    "minio": {"media", "media-worker", "playback", "edge"},
}
PROMETHEUS = {"app": "prometheus"}


def _policies(specs: list[ServiceSpec] | None = None) -> list[dict[str, Any]]:
    text = network.render(SPECS.values() if specs is None else specs)
    return [doc for doc in yaml.safe_load_all(text) if doc]


POLICIES = _policies()


def _pod(name: str) -> dict[str, str]:
    return {"app": name, "zone": "a"}


def test_the_call_graph_is_the_one_written_here() -> None:
    assert set(SPECS) >= ROUTED | set(CALLS)
    assert {name for name, spec in SPECS.items() if spec.routes} == ROUTED


def test_from_outside_only_the_gateways_http_port_answers() -> None:
    for name in SPECS:
        assert allowed(POLICIES, None, _pod(name), HTTP_PORT) == (name == "gateway"), name
    assert not allowed(POLICIES, None, _pod("gateway"), 9100)  # an internal port
    for engine in network.ENGINES:
        assert not allowed(POLICIES, None, {"app": engine.app}, engine.port), engine.app
    assert not allowed(POLICIES, None, PROMETHEUS, 9090)


@pytest.mark.parametrize("caller", sorted(SPECS))
def test_a_service_reaches_only_the_services_its_code_calls(caller: str) -> None:
    expected = CALLS.get(caller, {"registry"})
    for target in SPECS:
        may = allowed(POLICIES, _pod(caller), _pod(target), HTTP_PORT)
        assert may == (target in expected or target == "gateway"), f"{caller} -> {target}"


def test_a_compromised_history_cannot_reach_media_identity_or_postgres() -> None:
    history = _pod("history")
    assert allowed(POLICIES, history, _pod("catalog"), HTTP_PORT)
    assert not allowed(POLICIES, history, _pod("media"), HTTP_PORT)
    assert not allowed(POLICIES, history, _pod("identity"), HTTP_PORT)
    assert not allowed(POLICIES, history, {"app": "postgres"}, 5432)


@pytest.mark.parametrize("engine", network.ENGINES, ids=lambda e: e.app)
def test_an_engine_is_reached_only_by_the_services_that_use_it(engine: network.Engine) -> None:
    for name in SPECS:
        may = allowed(POLICIES, _pod(name), {"app": engine.app}, engine.port)
        assert may == (name in ENGINE_USERS[engine.app]), f"{name} -> {engine.app}"
    assert not allowed(POLICIES, PROMETHEUS, {"app": engine.app}, engine.port)


def test_only_brokers_reach_the_kafka_controller_port() -> None:
    kafka = {"app": "kafka"}
    assert allowed(POLICIES, kafka, kafka, 9093)
    for name in ENGINE_USERS["kafka"]:
        assert not allowed(POLICIES, _pod(name), kafka, 9093)


def test_prometheus_scrapes_every_service_on_any_port_and_nothing_reaches_it() -> None:
    for name in SPECS:
        assert allowed(POLICIES, PROMETHEUS, _pod(name), HTTP_PORT)
        assert allowed(POLICIES, PROMETHEUS, _pod(name), 9100)  # an internal metrics port
        assert not allowed(POLICIES, _pod(name), PROMETHEUS, 9090)


def test_a_new_services_declared_calls_open_exactly_those_paths() -> None:
    ratings = ServiceSpec(
        name="ratings",
        app="ratings.app:create_app",
        ports=("cache",),
        deploy=Deploy(calls=("catalog",)),
    )
    policies = _policies([*SPECS.values(), ratings])
    assert allowed(policies, _pod("ratings"), _pod("catalog"), HTTP_PORT)
    assert not allowed(policies, _pod("ratings"), _pod("history"), HTTP_PORT)
    assert allowed(policies, _pod("ratings"), {"app": "memcached"}, 11211)
    assert not allowed(policies, _pod("ratings"), {"app": "postgres"}, 5432)
    # No routes: not even the gateway reaches it.
    assert not allowed(policies, _pod("gateway"), _pod("ratings"), HTTP_PORT)


_REQUEST = re.compile(r"""\.request\(\s*["']([a-z][a-z0-9-]*)["']""")


def test_every_service_a_package_sends_requests_to_is_in_its_specs_calls() -> None:
    found: dict[str, set[str]] = {}
    for name, spec in SPECS.items():
        if name == "gateway":
            continue  # proxies by route, not by name
        folder = Path(__import__(spec.package, fromlist=["_"]).__file__ or "").parent
        for path in folder.rglob("*.py"):
            for target in _REQUEST.findall(path.read_text()):
                if target in SPECS:
                    found.setdefault(name, set()).add(target)
    assert found, "the scan found no call at all"
    for name, targets in found.items():
        assert targets <= set(SPECS[name].deploy.calls), f"{name} calls {targets}"
    for name, spec in SPECS.items():
        assert set(spec.deploy.calls) <= set(SPECS), f"{name} calls an unknown service"


def test_a_call_to_a_service_that_does_not_exist_is_refused_naming_both() -> None:
    typo = ServiceSpec(name="ratings", app="r:app", deploy=Deploy(calls=("catalgo",)))
    with pytest.raises(SpecError, match=r"ratings.*catalgo"):
        network.render([*SPECS.values(), typo])


def test_an_edge_serves_viewers_but_its_management_port_is_internal() -> None:
    edge = _pod("edge")
    # Viewers reach the serving listener from anywhere...
    assert allowed(POLICIES, None, edge, SERVE_PORT)
    # ...but not /edge/fill, /edge/purge or /edge/status (no viewer auth there).
    assert not allowed(POLICIES, None, edge, HTTP_PORT)
    for name in SPECS:
        assert not allowed(POLICIES, _pod(name), edge, HTTP_PORT), name
    assert allowed(POLICIES, PROMETHEUS, edge, HTTP_PORT)
    # The serving port is the edge's alone: no other service opens it.
    for name in SPECS:
        assert allowed(POLICIES, None, _pod(name), SERVE_PORT) == (name == "edge"), name
