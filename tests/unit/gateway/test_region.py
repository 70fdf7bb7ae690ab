"""The viewer's region: set by the gateway from the client's network, never from the client."""

from __future__ import annotations

from pathlib import Path

import pytest

from reelstack.gateway.filters.region import RegionFilter
from reelstack.gateway.settings import parse_region, parse_region_networks
from tests.unit.gateway.fakes import FakeUpstreams
from tests.unit.gateway.harness import Connection, gateway_config, make_app
from tests.unit.gateway.keys import jwks, make_key

KEY = make_key()


def test_the_longest_matching_network_names_the_region() -> None:
    networks = parse_region_networks("10.0.0.0/8=US, 10.20.0.0/16=gb ,2001:db8::/32=DE")
    regions = RegionFilter(default="FR", networks=networks)
    assert regions.region_of("10.1.2.3") == b"US"
    assert regions.region_of("10.20.9.9") == b"GB"
    assert regions.region_of("2001:db8::1") == b"DE"
    assert regions.region_of("192.0.2.1") == b"FR"
    assert regions.region_of("not an address") == b"FR"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("10.0.0.0/8", "expected CIDR=REGION"),
        ("10.0.0.0/33=US", "10.0.0.0/33"),
        ("10.0.0.0/8=USA", "not a two-letter country code"),
        ("10.0.0.0/8=1A", "not a two-letter country code"),
    ],
)
def test_a_bad_network_entry_is_refused_with_its_reason(raw: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_region_networks(raw)


def test_a_region_is_two_letters() -> None:
    assert parse_region(" gb ") == "GB"
    with pytest.raises(ValueError, match="two-letter"):
        parse_region("Ü1")


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> FakeUpstreams:
    return FakeUpstreams(monkeypatch)


def _sent(fakes: FakeUpstreams) -> bytes:
    return fakes.requests[-1][1].lower()


async def test_the_service_gets_the_region_and_never_the_clients(
    tmp_path: Path, fakes: FakeUpstreams
) -> None:
    cfg = gateway_config(
        tmp_path,
        gateway__routes="/api/svc=svc",
        gateway__auth__jwks=jwks(KEY),
        gateway__region__default="GB",
    )
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    token = b"Bearer " + KEY.token("account-a").encode()
    answer = await conn.get(
        "/api/svc/x",
        (b"authorization", token),
        (b"x-region", b"KP"),
        (b"x-reelstack-region", b"JP"),
    )
    assert answer.status == 200
    sent = _sent(fakes)
    assert sent.count(b"x-region") == 1
    assert b"x-region: gb" in sent  # the client's X-Region and its own pick are ignored


async def test_a_demo_lets_the_client_pick_its_region(tmp_path: Path, fakes: FakeUpstreams) -> None:
    cfg = gateway_config(
        tmp_path,
        gateway__routes="/api/svc=svc",
        gateway__auth__jwks=jwks(KEY),
        gateway__region__from_client="true",
    )
    app, _ = make_app(cfg, 9001)
    conn = Connection(app)
    token = b"Bearer " + KEY.token("account-a").encode()
    await conn.get("/api/svc/x", (b"authorization", token), (b"x-reelstack-region", b"jp"))
    assert b"x-region: jp" in _sent(fakes)
    # Anything but two letters falls back to the network's region.
    await conn.get("/api/svc/x", (b"authorization", token), (b"x-reelstack-region", b"J\\r"))
    assert b"x-region: us" in _sent(fakes)
