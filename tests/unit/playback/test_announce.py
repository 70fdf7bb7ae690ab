"""Every play start reaches the log after its row is written; none is lost while the log is down."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import orjson

from reelstack.errors import UnavailableError
from reelstack.playback import announce, service
from reelstack.ports.log import RecordMetadata
from tests.unit.playback.conftest import Stack, device, viewer


class Log:
    """The log's append, recording what was appended (or down)."""

    def __init__(self) -> None:
        self.records: list[tuple[str, bytes | None, dict[str, Any]]] = []
        self.down = False

    async def append_many(
        self, topic: str, records: Sequence[tuple[bytes | None, bytes]]
    ) -> list[RecordMetadata]:
        if self.down:
            raise UnavailableError("the log is down")
        self.records += [(topic, key, orjson.loads(value)) for key, value in records]
        return []


async def _start(stack: Stack, dev: str, **headers: str) -> str:
    started = await stack.client.post(
        "/playback/plays",
        json={"title_id": "film1", "device": device(dev)},
        headers=viewer("acc1", **headers),
    )
    assert started.status_code == 201, started.text
    play_id: str = started.json()["play_id"]
    return play_id


async def _round(stack: Stack, log: Log) -> int:
    return await announce.announce_round(
        db=stack.ctx.db,
        log_port=log,
        topic="playback.plays",
        now=stack.clock(),  # type: ignore[arg-type]
    )


async def test_each_play_is_announced_once_with_its_region(stack: Stack) -> None:
    log = Log()
    first = await _start(stack, "tv1", **{"x-region": "GB"})
    second = await _start(stack, "tv2")
    assert await _round(stack, log) == 2
    assert [(topic, key) for topic, key, _ in log.records] == [
        ("playback.plays", b"film1"),
        ("playback.plays", b"film1"),
    ]
    bodies = [body for _, _, body in log.records]
    assert [(b["play_id"], b["region"]) for b in bodies] == [(first, "GB"), (second, None)]
    assert bodies[0] | {"started_at": 0} == {
        "type": "play.started",
        "v": 1,
        "play_id": first,
        "account": "acc1",
        "profile": "p1",
        "title_id": "film1",
        "region": "GB",
        "device_id": "tv1",
        "started_at": 0,
    }
    # Announced plays are not announced again; the next start is.
    assert await _round(stack, log) == 0
    third = await _start(stack, "tv1")  # the same device: the plan's two slots are taken
    assert await _round(stack, log) == 1
    assert log.records[-1][2]["play_id"] == third


async def test_plays_wait_while_the_log_is_down_and_are_not_swept_meanwhile(stack: Stack) -> None:
    log = Log()
    log.down = True
    play = await _start(stack, "tv1")
    try:
        await _round(stack, log)
    except UnavailableError:
        pass
    else:
        raise AssertionError("a round against a log that is down must fail")
    # Long past its lease and the keep time: an unannounced play stays.
    stack.clock.now += stack.ctx.times.keep_s + stack.ctx.times.lease_s + 10
    assert await service.sweep(ctx=stack.ctx) == 0
    log.down = False
    assert await _round(stack, log) == 1
    assert log.records[0][2]["play_id"] == play
    # Announced, it is swept like any other ended play.
    assert await service.sweep(ctx=stack.ctx) == 1
