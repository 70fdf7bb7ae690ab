"""The supervisor's pure rules: instance ids, zone spreading, backoff, discovery.

No I/O here, so every rule is tested alone.

Instance ids are stable: ``<service>-<zone>-<n>`` for the cluster's primary
version (``hello-a-1``, ``hello-b-1``, ``hello-a-2``), and
``<service>-<zone>-<version>-<n>`` for any other version started next to it
(a canary: ``hello-a-v2-1``). Instances of one service and version fill
*slots* 0, 1, 2, ...; slot ``s`` lives in zone ``zones[s % len(zones)]`` with
number ``s // len(zones) + 1``, so a group is spread round-robin over the
zones and a restarted instance keeps its slot, hence its id.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class State(StrEnum):
    """What an instance is doing, as the control API reports it."""

    STARTING = "starting"  # the process runs; /health does not answer (yet, or any more)
    UP = "up"  # /health answers 200 with the expected instance id and pid
    DOWN = "down"  # no process: stopped, waiting to restart, or refused to start


# Instances of one service and version at most: beyond this a laptop thrashes.
MAX_GROUP_SIZE = 32

# A version ends up in instance ids, log file names and metric labels.
VERSION_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._]{0,31}$")


def check_version(version: str) -> str:
    """Return ``version``; raise ValueError unless it is safe in an instance id."""
    if not VERSION_PATTERN.match(version):
        raise ValueError(
            "expected 1-32 letters, digits, '.' or '_', starting with a letter or digit"
        )
    return version


def parse_zones(raw: str) -> tuple[str, ...]:
    """Return the zones of a comma-separated list; raise ValueError if none or repeated."""
    zones = tuple(zone.strip() for zone in raw.split(",") if zone.strip())
    if not zones:
        raise ValueError("expected at least one zone")
    if len(set(zones)) != len(zones):
        raise ValueError("a zone is listed twice")
    for zone in zones:
        if not re.match(r"^[A-Za-z0-9_]+$", zone):
            raise ValueError(f"zone {zone!r}: expected letters, digits or '_'")
    return zones


@dataclass(frozen=True, slots=True)
class InstanceSpec:
    """Who an instance is, for its whole life: the same across restarts."""

    service: str
    version: str
    slot: int
    zone: str
    number: int
    instance_id: str


def zone_of(slot: int, zones: Sequence[str]) -> tuple[str, int]:
    """Return the zone and the number within it of ``slot`` (round-robin)."""
    return zones[slot % len(zones)], slot // len(zones) + 1


def instance_id(service: str, zone: str, number: int, version: str, primary: str) -> str:
    """Return the instance id; the primary version's ids leave the version out."""
    if version == primary:
        return f"{service}-{zone}-{number}"
    return f"{service}-{zone}-{version}-{number}"


def spec_for(
    service: str, version: str, slot: int, zones: Sequence[str], primary: str
) -> InstanceSpec:
    """Return the spec of ``slot`` in the group of ``service`` at ``version``."""
    zone, number = zone_of(slot, zones)
    return InstanceSpec(
        service=service,
        version=version,
        slot=slot,
        zone=zone,
        number=number,
        instance_id=instance_id(service, zone, number, version, primary),
    )


def free_slots(taken: Iterable[int], count: int) -> list[int]:
    """Return the ``count`` lowest slots not in ``taken``."""
    used = set(taken)
    slots: list[int] = []
    slot = 0
    while len(slots) < count:
        if slot not in used:
            slots.append(slot)
        slot += 1
    return slots


@dataclass
class Backoff:
    """Crash-loop delay: ``initial_s`` doubling up to ``max_s``; reset once stable."""

    initial_s: float = 0.5
    max_s: float = 30.0
    _next_s: float = 0.0

    def next(self) -> float:
        """Return the delay before the next restart and double the one after."""
        delay = self._next_s or self.initial_s
        self._next_s = min(delay * 2, self.max_s)
        return delay

    def reset(self) -> None:
        """Forget past crashes: the next delay is ``initial_s`` again."""
        self._next_s = 0.0


def describe_exit(returncode: int) -> str:
    """Return a short human reason for a process exit status (negative: a signal)."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    meaning = {
        0: "stopped",
        2: "invalid setting",
        3: "port in use",
        4: "start-up failed",
    }.get(returncode, "failed")
    return f"exited with code {returncode} ({meaning})"


def prometheus_targets(instances: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return Prometheus HTTP service discovery groups for the instances that are up.

    One group per instance, so each carries its own labels; the format is
    Prometheus' ``http_sd_configs`` JSON.
    """
    groups: list[dict[str, Any]] = []
    for view in instances:
        if view["state"] != State.UP or view["port"] is None:
            continue
        groups.append(
            {
                "targets": [f"{view['host']}:{view['port']}"],
                "labels": {
                    "service": view["service"],
                    "instance_id": view["instance"],
                    "zone": view["zone"],
                    "version": view["version"],
                },
            }
        )
    return groups
