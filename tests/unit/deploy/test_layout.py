"""Where instances run, and volumes shared between services."""

from __future__ import annotations

import pytest

from reelstack.chassis.spec import Deploy, ServiceSpec, Volume
from reelstack.deploy.layout import Layout, placements, replicas, shared_volumes
from reelstack.errors import SpecError


def _spec(name: str, *volumes: Volume, instances: int | None = None) -> ServiceSpec:
    return ServiceSpec(
        name=name, app=f"{name}:app", instances=instances, deploy=Deploy(volumes=volumes)
    )


def test_defaults_are_the_local_clusters_defaults() -> None:
    assert Layout.defaults() == Layout(zones=("a", "b"), instances=2)


def test_instances_spread_round_robin_with_the_supervisors_ids() -> None:
    layout = Layout(zones=("a", "b"), instances=2)
    got = [(p.zone, p.instance_id, p.host) for p in placements(_spec("x", instances=3), layout)]
    assert got == [("a", "x-a-1", "x-a"), ("b", "x-b-1", "x-b"), ("a", "x-a-2", "x-a-2")]
    assert replicas(_spec("x", instances=3), layout) == [("a", 2), ("b", 1)]
    assert replicas(_spec("x"), layout) == [("a", 1), ("b", 1)]


def test_a_volume_is_shared_once_and_keeps_the_first_description() -> None:
    bare = Volume("up", "m.dir", "/up")
    described = Volume("up", "m.dir", "/up", about="Uploads.")
    (shared,) = shared_volumes([_spec("m", bare), _spec("w", described), _spec("z", bare)])
    assert shared.services == ("m", "w", "z")
    assert shared.about == "Uploads. Mounted by m, w, z at /up (the setting m.dir)."


def test_a_volume_mounted_differently_is_refused_naming_both_services() -> None:
    with pytest.raises(SpecError) as caught:
        shared_volumes(
            [_spec("m", Volume("up", "m.dir", "/up")), _spec("w", Volume("up", "m.dir", "/x"))]
        )
    assert caught.value.service == "w" and "'m'" in str(caught.value)
