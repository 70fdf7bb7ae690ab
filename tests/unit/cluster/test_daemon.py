"""The supervisor gives the registry fixed ports and tells every instance where it is."""

from __future__ import annotations

from reelstack import settings
from reelstack.cluster.daemon import fixed_ports, mesh_env, registry_ports
from reelstack.cluster.supervisor import ClusterPlan


def _plan(registries: int = 2) -> ClusterPlan:
    return ClusterPlan(
        services={"registry": registries, "hello": 2}, zones=("a", "b"), primary_version="v1"
    )


def test_registry_instances_get_the_configured_ports_in_order() -> None:
    config = settings.load(environ={"REELSTACK_CLUSTER_REGISTRY_PORTS": "9761,9762"})
    assert registry_ports(config, _plan()) == {("registry", 0): 9761, ("registry", 1): 9762}


def test_a_zero_port_becomes_a_free_port_chosen_once() -> None:
    config = settings.load(environ={"REELSTACK_CLUSTER_REGISTRY_PORTS": "0,0"})
    ports = registry_ports(config, _plan())
    assert len(set(ports.values())) == 2 and all(p > 0 for p in ports.values())


def test_every_instance_learns_each_registry_with_its_zone() -> None:
    config = settings.load(environ={})
    env = mesh_env(config, _plan(), {("registry", 0): 9761, ("registry", 1): 9762})
    assert env["REELSTACK_EUREKA_URLS"] == (
        "a=http://127.0.0.1:9761/eureka,b=http://127.0.0.1:9762/eureka"
    )
    assert env["REELSTACK_EUREKA_FETCH_INTERVAL_S"] == "2"


def test_intervals_the_user_set_are_kept() -> None:
    config = settings.load(environ={"REELSTACK_EUREKA_FETCH_INTERVAL_S": "30"})
    env = mesh_env(config, _plan(), {("registry", 0): 9761})
    assert "REELSTACK_EUREKA_FETCH_INTERVAL_S" not in env


def test_no_registry_no_mesh_settings() -> None:
    config = settings.load(environ={})
    assert registry_ports(config, _plan(registries=0)) == {}
    assert mesh_env(config, _plan(registries=0), {}) == {}


def test_the_first_gateway_instance_is_the_front_door_on_gateway_port() -> None:
    config = settings.load(
        environ={"REELSTACK_GATEWAY_PORT": "9080", "REELSTACK_CLUSTER_REGISTRY_PORTS": "9761"}
    )
    plan = ClusterPlan(
        services={"registry": 1, "gateway": 2}, zones=("a", "b"), primary_version="v1"
    )
    ports = fixed_ports(config, plan)
    assert ports[("gateway", 0)] == 9080
    assert ("gateway", 1) not in ports  # the second one takes any free port
    env = mesh_env(config, plan, ports)
    assert "9080" not in env["REELSTACK_EUREKA_URLS"]
