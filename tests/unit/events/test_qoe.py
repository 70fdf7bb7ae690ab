"""QoE series by region: only well-formed regions, and only so many of them, become labels."""

from __future__ import annotations

import orjson
from prometheus_client import CollectorRegistry

from reelstack.events import fastpath
from reelstack.events.qoe import OTHER, QoeMetrics
from tests.unit.events.samples import GOOD, event


def _plays(registry: CollectorRegistry, region: str) -> float:
    return registry.get_sample_value("reelstack_qoe_plays_total", {"region": region}) or 0.0


def test_each_kind_adds_to_its_series_under_the_region() -> None:
    registry = CollectorRegistry()
    qoe = QoeMetrics(registry, max_regions=5)
    batch = [
        event("play_start", startup_ms=400),
        event("heartbeat"),
        event("rebuffer_start"),
        event("rebuffer_end", duration_ms=1500),
        event("rebuffer_start"),
        event("error", fatal=False),
    ]
    qoe.count("FR", ((e["type"], e) for e in batch))

    def value(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, {"region": "FR", **labels})

    assert value("reelstack_qoe_plays_total") == 1
    assert value("reelstack_qoe_startup_seconds_bucket", le="0.5") == 1
    assert value("reelstack_qoe_startup_seconds_bucket", le="0.25") == 0
    assert value("reelstack_qoe_startup_seconds_sum") == 0.4
    assert value("reelstack_qoe_rebuffers_total") == 2
    assert value("reelstack_qoe_rebuffer_seconds_total") == 1.5
    assert value("reelstack_qoe_errors_total") == 1
    # Events that say nothing about QoE create no series at all.
    qoe.count("DE", [("heartbeat", event("heartbeat")), ("seek", event("seek"))])
    assert qoe.regions == ["FR"]


def test_a_malformed_region_counts_as_other_and_never_becomes_a_label() -> None:
    registry = CollectorRegistry()
    qoe = QoeMetrics(registry, max_regions=50)
    play = [("play_start", event("play_start"))]
    for claimed in (None, "", "us", "USA", "U1", "É\u0301", "../", 'U"', "US\n", "\uff35\uff33"):
        qoe.count(claimed, play)
    assert qoe.regions == [OTHER]
    assert _plays(registry, OTHER) == 10


def test_regions_past_the_cap_share_one_other_label() -> None:
    registry = CollectorRegistry()
    qoe = QoeMetrics(registry, max_regions=3)
    play = [("play_start", event("play_start"))]
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for a in letters:  # a client naming 676 regions, one play each
        for b in letters:
            qoe.count(a + b, play)
    qoe.count("AA", play)  # a region already labelled keeps its label
    assert qoe.regions == ["AA", "AB", "AC", OTHER]
    assert _plays(registry, "AA") == 2
    assert _plays(registry, OTHER) == 676 - 3
    families = {m.name: m for m in registry.collect()}
    labels = {s.labels["region"] for s in families["reelstack_qoe_plays"].samples}
    assert labels == {"AA", "AB", "AC", OTHER}


def test_the_compiled_decoder_names_each_events_kind() -> None:
    # The fast path counts by KIND_OF[type(event)]: a wrong kind would count the wrong series.
    for kind in GOOD:
        decoded = fastpath.decode_valid(orjson.dumps({"events": [event(kind)]}))
        if decoded is not None:
            assert fastpath.KIND_OF[type(decoded[0])] == kind
    assert "play_start" in fastpath.KIND_OF.values()
