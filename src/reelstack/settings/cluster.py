"""The local cluster (the autoscaling group)."""

from __future__ import annotations

from reelstack.cluster.model import parse_zones
from reelstack.config import (
    Setting,
    parse_bool,
    parse_int,
)
from reelstack.settings.base import add

# -- the local cluster -----------------------------------------------------------

CLUSTER_CONTROL_PORT = add(
    Setting(
        "cluster.control_port",
        parse_int(0, 65535),
        "7070",
        "Port of the supervisor's control API (0: any free port).",
    )
)
CLUSTER_INSTANCES = add(
    Setting(
        "cluster.instances",
        parse_int(1, 16),
        "2",
        "Instances of each service the supervisor starts, spread over the zones.",
    )
)
CLUSTER_ZONES = add(
    Setting("cluster.zones", parse_zones, "a,b", "Comma-separated zones instances spread over.")
)
CLUSTER_FORK = add(
    Setting(
        "cluster.fork",
        parse_bool,
        "true",
        "Start instances as forks of one parent that has done the imports every instance"
        " needs: they share its memory and start in a fraction of a second (Linux; see"
        " docs/adr/0009-light-cluster.md). false: each instance is a fresh interpreter.",
    )
)
CLUSTER_SPARES = add(
    Setting(
        "cluster.spares",
        parse_int(0, 8),
        "1",
        "Warm spare processes (imports done) kept to replace a dead instance in about a second"
        " when instances are not forked (cluster.fork false).",
    )
)


def _parse_ports(raw: str) -> tuple[int, ...]:
    ports = tuple(parse_int(0, 65535)(part.strip()) for part in raw.split(",") if part.strip())
    if not ports:
        raise ValueError("expected at least one port")
    return ports


CLUSTER_REGISTRY_PORTS = add(
    Setting(
        "cluster.registry_ports",
        _parse_ports,
        "8761,8762",
        "Fixed ports of the registry's instances, one per instance in order (0: a free port"
        " chosen when the cluster starts); every instance is told these addresses.",
    )
)
