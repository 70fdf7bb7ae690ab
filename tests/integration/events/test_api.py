"""POST /events through the in-process app, on the embedded event log."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from reelstack import settings
from reelstack.adapters.log.sqlite import SqliteEventLog
from reelstack.bootstrap import Adapters
from reelstack.chassis.app import chassis_of
from reelstack.config import Config
from reelstack.events.app import create_app
from reelstack.ports.log import Record, TopicPartition
from tests.unit.chassis.conftest import started
from tests.unit.events.samples import event

TOPIC = "player.events"
PARTITIONS = 4
CALLER = {"x-account-id": "acct-1", "x-profile-id": "prof-1"}


def make_config(home: Path, **values: str) -> Config:
    environ: Mapping[str, str] = {
        "REELSTACK_HOME": str(home),
        "REELSTACK_SERVICE_NAME": "events",
        "REELSTACK_SERVICE_PORT": "18299",
        "REELSTACK_SERVICE_ZONE": "a",
        **{settings.REGISTRY[k].env: v for k, v in values.items()},
    }
    return Config.load(settings.REGISTRY, environ=environ)


class Service:
    def __init__(self, client: httpx.AsyncClient, log: SqliteEventLog, app: Any) -> None:
        self.client = client
        self.log = log
        self.app = app

    async def post(
        self, events: Any, headers: Mapping[str, str] = CALLER, **kw: Any
    ) -> httpx.Response:
        return await self.client.post("/events", json={"events": events}, headers=headers, **kw)

    async def records(self) -> list[Record]:
        out: list[Record] = []
        for partition in range(PARTITIONS):
            out += await self.log.read(TopicPartition(TOPIC, partition), 0, max_records=10_000)
        return out

    def metric(self, name: str, **labels: str) -> float:
        registry = chassis_of(self.app).metrics.registry
        value = registry.get_sample_value(name, labels)
        return 0.0 if value is None else value


@pytest.fixture
async def svc(tmp_path: Path) -> AsyncIterator[Service]:
    config = make_config(
        tmp_path,
        **{
            "events.partitions": str(PARTITIONS),
            "events.max_batch": "50",
            "events.max_body_bytes": "16384",
            # CPython's own collector: the paced one would change the test process's.
            "events.gc_interval_s": "0",
        },
    )
    log = SqliteEventLog(tmp_path / "log.db")
    app = create_app(config, adapters=Adapters(config, _built={"log": log}))
    async for client in started(app):
        yield Service(client, log, app)


def session_events(session: str, count: int) -> list[dict[str, Any]]:
    first = event("play_start", session=session, seq=0)
    beats = [
        event("heartbeat", session=session, seq=i, position_ms=i * 1000) for i in range(1, count)
    ]
    return [first, *beats]


async def test_a_batch_lands_on_the_log_in_order_per_session(svc: Service) -> None:
    a, b, c = session_events("s-a", 10), session_events("s-b", 10), session_events("s-c", 10)
    interleaved = [e for trio in zip(a, b, c, strict=True) for e in trio]
    response = await svc.post(interleaved)
    assert response.status_code == 200, response.text
    assert response.json() == {"accepted": 30}
    records = await svc.records()
    assert len(records) == 30
    for session in ("s-a", "s-b", "s-c"):
        mine = [r for r in records if r.key == session.encode()]
        assert len({r.partition for r in mine}) == 1
        seqs = [orjson.loads(r.value)["seq"] for r in sorted(mine, key=lambda r: r.offset)]
        assert seqs == list(range(10))
    assert svc.metric("reelstack_events_accepted_total") == 30


async def test_events_carry_the_gateways_caller_not_the_clients(svc: Service) -> None:
    claimed = await svc.post([event("heartbeat", account="acct-2", profile="prof-9")])
    assert claimed.status_code == 422
    assert claimed.json()["rejected"][0]["reason"] == "identity_claimed"
    ok = await svc.post([event("heartbeat")], headers={"x-account-id": "A", "x-profile-id": "P"})
    assert ok.status_code == 200
    [record] = await svc.records()
    stored = orjson.loads(record.value)
    assert (stored["account"], stored["profile"]) == ("A", "P")
    assert stored["received_ms"] > 0


async def test_a_batch_with_one_bad_event_appends_nothing(svc: Service) -> None:
    batch = session_events("s-a", 5)
    batch[2] = event("heartbeat", position_ms=-1)
    batch[4] = event("seek", v=7)
    response = await svc.post(batch)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_events"
    assert [(r["index"], r["reason"]) for r in body["rejected"]] == [
        (2, "bad_value"),
        (4, "unknown_version"),
    ]
    assert "position_ms" in body["rejected"][0]["detail"]
    assert await svc.records() == []
    assert svc.metric("reelstack_events_rejected_total", reason="bad_value") == 1
    assert svc.metric("reelstack_events_rejected_total", reason="unknown_version") == 1
    assert svc.metric("reelstack_events_refused_batches_total", reason="invalid_events") == 1
    assert svc.metric("reelstack_events_accepted_total") == 0


async def test_an_oversized_batch_is_refused_with_413(svc: Service) -> None:
    response = await svc.post(session_events("s-a", 51))
    assert response.status_code == 413
    assert "at most 50" in response.json()["detail"]
    assert await svc.records() == []


async def test_an_oversized_body_is_refused_with_413(svc: Service) -> None:
    big = event("error", message="m" * 500)
    response = await svc.post([big] * 49)  # under the batch limit, over 16 KiB
    assert response.status_code == 413
    assert "16384 bytes" in response.json()["detail"]

    async def chunks() -> AsyncIterator[bytes]:
        # No Content-Length: the limit is counted as the body arrives.
        for _ in range(20):
            yield b" " * 1024

    streamed = await svc.client.post("/events", content=chunks(), headers=CALLER)
    assert streamed.status_code == 413
    assert await svc.records() == []
    assert svc.metric("reelstack_events_refused_batches_total", reason="body_too_large") == 2


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-account-id": "acct-1"},
        {"x-profile-id": "prof-1"},
        {"x-account-id": "acct 1", "x-profile-id": "prof-1"},
        {"x-account-id": "a" * 65, "x-profile-id": "prof-1"},
    ],
)
async def test_a_request_without_the_gateways_identity_is_refused(
    svc: Service, headers: dict[str, str]
) -> None:
    response = await svc.post([event("heartbeat")], headers=headers)
    assert response.status_code == 401
    assert "x-account-id" in response.json()["detail"]
    assert await svc.records() == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"not json", "not_json"),
        (b"[]", "no_events"),
        (b'{"events": []}', "no_events"),
        (b'{"events": {"type": "pause"}}', "no_events"),
        (b'{"other": 1}', "no_events"),
    ],
)
async def test_a_body_that_is_not_a_batch_is_refused_with_400(
    svc: Service, body: bytes, reason: str
) -> None:
    response = await svc.client.post("/events", content=body, headers=CALLER)
    assert response.status_code == 400
    assert response.json()["error"] == reason


async def test_a_consumer_reads_back_every_acknowledged_event(svc: Service) -> None:
    acknowledged: list[tuple[str, int]] = []
    for round_ in range(5):
        batch = [
            event("heartbeat", session=f"s-{s}", seq=round_, position_ms=round_ * 30_000)
            for s in range(8)
        ]
        response = await svc.post(batch)
        assert response.status_code == 200
        acknowledged += [(e["session"], e["seq"]) for e in batch]
    refused = await svc.post([event("heartbeat", session="s-x", seq=99, v=2)])
    assert refused.status_code == 422
    consumer = svc.log.consumer("history-test", [TOPIC])
    await consumer.start()
    seen: list[Record] = []
    try:
        for _ in range(50):
            batch_read = await consumer.poll(timeout_s=0.5)
            seen += batch_read
            await consumer.commit()
            if len(seen) >= len(acknowledged) and not batch_read:
                break
    finally:
        await consumer.stop()
    got = [orjson.loads(r.value) for r in seen]
    assert sorted((g["session"], g["seq"]) for g in got) == sorted(acknowledged)
    for session in {s for s, _ in acknowledged}:
        in_log_order = [g["seq"] for g in got if g["session"] == session]
        assert in_log_order == list(range(5)), "a consumer sees a session's events in order"
