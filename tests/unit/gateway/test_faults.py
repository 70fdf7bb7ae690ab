from __future__ import annotations

import pytest

from reelstack.gateway.faults import FaultInjector, FaultSpec, parse_fault_spec
from reelstack.gateway.settings import parse_route_faults


def test_parses_fault_specs() -> None:
    assert parse_fault_spec("delay=200ms") == FaultSpec(0.2, None, 100.0)
    assert parse_fault_spec("abort=503") == FaultSpec(0.0, 503, 100.0)
    assert parse_fault_spec("delay=1.5s, abort=500, pct=10") == FaultSpec(1.5, 500, 10.0)
    assert parse_fault_spec("delay=20") == FaultSpec(0.02, None, 100.0)


@pytest.mark.parametrize("raw", ["", "abort=200", "delay=-1", "delay=2h", "boom=1", "pct=50"])
def test_refuses_bad_specs(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_fault_spec(raw)


def test_parses_route_rules() -> None:
    rules = parse_route_faults("/api/hello:delay=10ms,pct=5; /api/catalog/:abort=503")
    assert rules == (
        ("/api/hello", FaultSpec(0.01, None, 5.0)),
        ("/api/catalog", FaultSpec(0.0, 503, 100.0)),
    )


def test_header_is_ignored_unless_enabled() -> None:
    off = FaultInjector(header_enabled=False)
    assert not off.active
    fault = off.decide("/api/x", b"abort=503")
    assert fault.abort_status is None and fault.delay_s == 0.0
    on = FaultInjector(header_enabled=True)
    fault = on.decide("/api/x", b"abort=503")
    assert fault.abort_status == 503 and fault.source == "header"


def test_route_rules_apply_to_their_share_of_requests() -> None:
    draws = iter([0.04, 0.06])
    injector = FaultInjector(
        rules=parse_route_faults("/api/x:abort=500,pct=5"), random_fn=lambda: next(draws)
    )
    assert injector.decide("/api/x", None).abort_status == 500  # 4 < 5
    assert injector.decide("/api/x", None).abort_status is None  # 6 >= 5
    assert injector.decide("/api/other", None).abort_status is None


def test_bad_header_raises_when_enabled() -> None:
    with pytest.raises(ValueError):
        FaultInjector(header_enabled=True).decide("/api/x", b"abort=nope")
