"""QoE by region through POST /events: accepted batches count, by the gateway's X-Region."""

from __future__ import annotations

from tests.integration.events import test_api
from tests.integration.events.test_api import CALLER, Service
from tests.unit.events.samples import event

svc = test_api.svc  # the same service on the embedded log, as a fixture here

US = {**CALLER, "x-region": "US"}
QOE = [
    event("play_start", seq=0, startup_ms=700),
    event("rebuffer_start", seq=1),
    event("rebuffer_end", seq=2, duration_ms=2500),
    event("error", seq=3, fatal=True),
]


def _qoe(svc: Service, region: str) -> tuple[float, ...]:
    return (
        svc.metric("reelstack_qoe_plays_total", region=region),
        svc.metric("reelstack_qoe_startup_seconds_count", region=region),
        svc.metric("reelstack_qoe_startup_seconds_sum", region=region),
        svc.metric("reelstack_qoe_rebuffers_total", region=region),
        svc.metric("reelstack_qoe_rebuffer_seconds_total", region=region),
        svc.metric("reelstack_qoe_errors_total", region=region),
    )


async def test_an_accepted_batch_counts_under_its_region_on_either_path(svc: Service) -> None:
    assert (await svc.post(QOE, headers=US)).status_code == 200
    assert _qoe(svc, "US") == (1, 1, 0.7, 1, 2.5, 1)
    # A float CMCD value has no exact compiled form: the table-driven path, same counts.
    slow = [{**e, "cmcd": {"pr": 1.5}, "session": "play-2"} for e in QOE]
    assert (await svc.post(slow, headers=US)).status_code == 200
    assert _qoe(svc, "US") == (2, 2, 1.4, 2, 5.0, 2)
    assert (await svc.post(QOE, headers={**CALLER, "x-region": "JP"})).status_code == 200
    assert _qoe(svc, "JP") == (1, 1, 0.7, 1, 2.5, 1)


async def test_a_refused_batch_counts_nothing(svc: Service) -> None:
    broken = [*QOE, event("heartbeat", position_ms=-1)]
    assert (await svc.post(broken, headers=US)).status_code == 422
    too_many = QOE * 13  # 52 events, over the batch limit of 50
    assert (await svc.post(too_many, headers=US)).status_code == 413
    assert (await svc.post(QOE, headers={"x-region": "US"})).status_code == 401
    assert _qoe(svc, "US") == (0,) * 6
    assert _qoe(svc, "other") == (0,) * 6


async def test_a_region_the_gateway_could_not_have_set_counts_as_other(svc: Service) -> None:
    for claimed in ("us-east-1", "x" * 32, "A"):
        assert (await svc.post(QOE, headers={**CALLER, "x-region": claimed})).status_code == 200
    assert (await svc.post(QOE)).status_code == 200  # no region at all
    assert svc.metric("reelstack_qoe_plays_total", region="other") == 4
    text = (await svc.client.get("/metrics")).text
    assert 'reelstack_qoe_plays_total{region="other"} 4.0' in text
    assert "us-east-1" not in text and 'region="A"' not in text
