"""Helpers for the registry's unit tests: a settable clock and instance builders."""

from __future__ import annotations

from typing import Any

import pytest

from reelstack.registry.leases import Registry
from reelstack.registry.models import Instance


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def make_instance(
    instance_id: str = "hello-a-1",
    app: str = "HELLO",
    *,
    renewal_s: int = 30,
    duration_s: int = 90,
    last_dirty_ms: int = 1000,
    **fields: Any,
) -> Instance:
    values: dict[str, Any] = {
        "host_name": "127.0.0.1",
        "ip_addr": "127.0.0.1",
        "vip_address": app.lower(),
        "port": 8080,
        **fields,
    }
    return Instance(
        app=app,
        instance_id=instance_id,
        renewal_interval_s=renewal_s,
        duration_s=duration_s,
        last_dirty_ms=last_dirty_ms,
        **values,
    )


def wire_instance(**overrides: Any) -> dict[str, Any]:
    """A registration body's instance object as py-eureka-client sends it."""
    wire: dict[str, Any] = {
        "instanceId": "127.0.0.1:hello:8080",
        "hostName": "127.0.0.1",
        "app": "HELLO",
        "ipAddr": "127.0.0.1",
        "status": "UP",
        "overriddenstatus": "UNKNOWN",
        "port": {"$": 8080, "@enabled": "true"},
        "securePort": {"$": 8443, "@enabled": "false"},
        "countryId": 1,
        "dataCenterInfo": {
            "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
            "name": "MyOwn",
        },
        "leaseInfo": {"renewalIntervalInSecs": 30, "durationInSecs": 90},
        "metadata": {"zone": "a", "version": "v2", "management.port": "8080"},
        "homePageUrl": "http://127.0.0.1:8080/",
        "statusPageUrl": "http://127.0.0.1:8080/info",
        "healthCheckUrl": "http://127.0.0.1:8080/health",
        "vipAddress": "hello",
        "secureVipAddress": "hello",
        "lastUpdatedTimestamp": "1700000000000",
        "lastDirtyTimestamp": "1700000000000",
    }
    wire.update(overrides)
    return wire


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> Registry:
    return Registry(renewal_window_s=60, delta_retention_s=180, clock=clock)
