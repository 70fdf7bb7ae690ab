"""The edge's serving path over real sockets: hits, misses, collapse, refusals, eviction."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path

import pytest

from reelstack.edge.server import ServeLimits
from tests.integration.edge.conftest import Edge, make_edge, read_reply
from tests.support.wait import eventually
from tests.unit.edge.fakes import FakeOrigin

SEGMENT = "media/t1/j1/v0/seg_00001.m4s"
DATA = os.urandom(300_000)


async def test_a_miss_fills_the_cache_and_the_next_request_is_a_hit(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    first = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    assert first.status == 200 and first.body == DATA
    assert first.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert first.headers["access-control-allow-origin"] == "*"
    assert first.headers["content-type"] == "video/iso.segment"
    second = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    assert second.body == DATA and second.headers["etag"] == first.headers["etag"]
    assert edge.origin.gets == 1
    assert edge.stats.results["miss"] == 1 and edge.stats.results["hit"] == 1
    assert edge.cache.titles() == ["t1"]


async def test_playlists_are_short_lived(edge: Edge) -> None:
    edge.origin.add("media/t1/j1/v0/index.m3u8", b"#EXTM3U\n")
    reply = await edge.get(edge.url("t1/j1/v0/index.m3u8"))
    assert reply.headers["cache-control"] == "public, max-age=2"
    assert reply.headers["content-type"] == "application/vnd.apple.mpegurl"


async def test_100_concurrent_misses_make_exactly_one_origin_fetch(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    edge.origin.gate = asyncio.Event()
    path = edge.url("t1/j1/v0/seg_00001.m4s")
    requests = [asyncio.create_task(edge.get(path)) for _ in range(100)]
    await eventually(lambda: edge.stats.connections == 100, "100 connections waiting")
    edge.origin.gate.set()
    replies = await asyncio.gather(*requests)
    assert all(reply.status == 200 and reply.body == DATA for reply in replies)
    assert edge.origin.gets == 1 and edge.origin.stats == 1
    assert edge.stats.results["miss"] == 1 and edge.stats.results["collapsed"] == 99


async def test_ranges_and_validators(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    path = edge.url("t1/j1/v0/seg_00001.m4s")
    part = await edge.get(path, {"Range": "bytes=100-199"})
    assert part.status == 206 and part.body == DATA[100:200]
    assert part.headers["content-range"] == f"bytes 100-199/{len(DATA)}"
    tail = await edge.get(path, {"Range": "bytes=-10"})
    assert tail.body == DATA[-10:]
    several = await edge.get(path, {"Range": "bytes=0-1,5-9"})
    assert several.status == 200 and several.body == DATA
    beyond = await edge.get(path, {"Range": f"bytes={len(DATA)}-"})
    assert beyond.status == 416 and beyond.headers["content-range"] == f"bytes */{len(DATA)}"
    etag, modified = part.headers["etag"], part.headers["last-modified"]
    assert (await edge.get(path, {"If-None-Match": etag})).status == 304
    assert (await edge.get(path, {"If-Modified-Since": modified})).status == 304
    other = await edge.get(path, {"If-Range": '"other"', "Range": "bytes=0-9"})
    assert other.status == 200 and other.body == DATA
    head = await edge.get(path, method="HEAD")
    assert head.status == 200 and head.headers["content-length"] == str(len(DATA))


async def test_a_range_of_a_file_still_filling_is_served_as_it_arrives(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    edge.origin.gate = asyncio.Event()
    path = edge.url("t1/j1/v0/seg_00001.m4s")
    whole = asyncio.create_task(edge.get(path))
    part = asyncio.create_task(edge.get(path, {"Range": "bytes=200000-200099"}))
    await eventually(lambda: edge.stats.connections == 2, "2 connections")
    edge.origin.gate.set()
    assert (await whole).body == DATA
    assert (await part).body == DATA[200000:200100]
    assert edge.origin.gets == 1


async def test_bad_tokens_are_refused_before_the_origin(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    good = edge.url("t1/j1/v0/seg_00001.m4s")
    token = good.split("/")[3]
    tampered = good.replace(token, token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert (await edge.get(tampered)).status == 403
    other_title = good.replace("/t1/", "/t2/")
    assert (await edge.get(other_title)).status == 403
    expired = edge.url("t1/j1/v0/seg_00001.m4s", expires=int(time.time()) - 120)
    reply = await edge.get(expired)
    assert reply.status == 410 and reply.headers["cache-control"] == "no-store"
    within_skew = edge.url("t1/j1/v0/seg_00001.m4s", expires=int(time.time()) - 5)
    assert (await edge.get(within_skew)).status == 200
    assert edge.origin.gets == 1


@pytest.mark.parametrize(
    "path",
    [
        "/media/s/TOKEN/../../../etc/passwd",
        "/media/s/TOKEN/%2e%2e/%2e%2e/etc/passwd",
        "/media/s/TOKEN/t1%2f..%2f..%2fx/seg.m4s",
        "/media/s/TOKEN/t1/%2E%2E/%2E%2E/x.m4s",
    ],
)
async def test_traversal_is_refused_before_the_origin(edge: Edge, path: str) -> None:
    token = edge.url("t1/j1/v0/seg_00001.m4s").split("/")[3]
    reply = await edge.get(path.replace("TOKEN", token))
    assert reply.status == 400
    assert edge.origin.calls == 0


async def test_unknown_paths_and_methods(edge: Edge) -> None:
    assert (await edge.get("/")).status == 404
    assert (await edge.get("/media/t1/j1/v0/seg.m4s")).status == 404
    assert (await edge.get("/media/s/")).status == 404
    assert (await edge.get(edge.url("t1/j1/v0/upload.exe"))).status == 404
    assert (await edge.get(edge.url("t1/j1/v0/seg.m4s"), method="POST")).status == 405
    preflight = await edge.get(edge.url("t1/j1/v0/seg.m4s"), method="OPTIONS")
    assert preflight.status == 204 and "Range" in preflight.headers["access-control-allow-headers"]
    assert edge.origin.calls == 0
    edge.origin.add("media/t1/j1/v0/gone.m4s", b"x")
    del edge.origin.objects["media/t1/j1/v0/gone.m4s"]
    assert (await edge.get(edge.url("t1/j1/v0/gone.m4s"))).status == 404


async def test_an_origin_error_is_502_and_nothing_is_cached(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    edge.origin.broken = True
    assert (await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))).status == 502
    assert SEGMENT not in edge.cache.index and edge.cache.used == 0
    edge.origin.broken = False
    edge.origin.break_after = 100_000
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
    writer.write(f"GET {edge.url('t1/j1/v0/seg_00001.m4s')} HTTP/1.1\r\n\r\n".encode())
    with pytest.raises(asyncio.IncompleteReadError):
        await read_reply(reader)  # cut off: the close says the body broke
    writer.close()
    assert SEGMENT not in edge.cache.index and edge.cache.used == 0
    assert os.listdir(edge.cache.root / ".part") == []
    edge.origin.break_after = None
    assert (await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))).body == DATA
    assert SEGMENT in edge.cache.index


async def test_eviction_keeps_the_recently_used_within_capacity(tmp_path: Path) -> None:
    origin = FakeOrigin()
    edge = await make_edge(tmp_path / "cache", origin, capacity=1_000_000)
    try:
        for n in range(4):
            origin.add(f"media/t{n}/j/v0/s.m4s", bytes([n]) * 300_000)
        for n in range(3):
            await edge.get(edge.url(f"t{n}/j/v0/s.m4s"))
        await edge.get(edge.url("t0/j/v0/s.m4s"))  # t0 used again: t1 is now the oldest
        oldest = edge.cache.index["media/t1/j/v0/s.m4s"]
        await edge.get(edge.url("t3/j/v0/s.m4s"))
        assert oldest.evicted and oldest.file is None  # its open file closed too
        assert set(edge.cache.titles()) == {"t0", "t2", "t3"}
        assert edge.cache.used <= 1_000_000
        assert not (edge.cache.root / "media/t1/j/v0/s.m4s").exists()
    finally:
        await edge.server.stop()


async def test_a_full_disk_stops_filling_and_keeps_serving_what_it_holds(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    edge.origin.add("media/t2/j/v0/s.m4s", b"y" * 1000)
    assert (await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))).status == 200
    edge.cache.free_margin = 1 << 62  # the disk has no room left
    passed = await edge.get(edge.url("t2/j/v0/s.m4s"))
    assert passed.status == 200 and passed.body == b"y" * 1000
    assert "media/t2/j/v0/s.m4s" not in edge.cache.index and edge.cache.disk_full()
    held = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    assert held.status == 200 and held.body == DATA
    assert edge.stats.results["passthrough"] == 1 and edge.stats.results["hit"] == 1


async def test_running_out_of_space_mid_fill_stops_filling(edge: Edge) -> None:
    def no_space(fd: int, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    edge.cache._write = no_space  # type: ignore[method-assign]
    edge.origin.add(SEGMENT, DATA)
    reply = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    assert reply.status == 502 and edge.cache.disk_full() and edge.cache.used == 0
    again = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    assert again.status == 200 and again.body == DATA  # passed through, not cached


async def test_a_restarted_edge_finds_what_its_folder_holds(tmp_path: Path) -> None:
    origin = FakeOrigin()
    origin.add(SEGMENT, DATA)
    edge = await make_edge(tmp_path / "cache", origin)
    first = await edge.get(edge.url("t1/j1/v0/seg_00001.m4s"))
    await edge.server.stop()
    (edge.cache.root / ".part" / "leftover").write_bytes(b"half")
    again = await make_edge(tmp_path / "cache", origin)
    try:
        reply = await again.get(again.url("t1/j1/v0/seg_00001.m4s"))
        assert reply.body == DATA and reply.headers["etag"] == first.headers["etag"]
        assert origin.gets == 1 and again.stats.results["hit"] == 1
        assert not (again.cache.root / ".part" / "leftover").exists()
    finally:
        await again.server.stop()


async def test_cmcd_keys_are_logged(edge: Edge, caplog: pytest.LogCaptureFixture) -> None:
    edge.origin.add(SEGMENT, DATA)
    caplog.set_level(logging.INFO, logger="reelstack.edge.server")
    path = edge.url("t1/j1/v0/seg_00001.m4s") + "?CMCD=br%3D3200%2Cot%3Dv%2Csid%3D%22s1%22"
    await edge.get(path, {"CMCD-Request": "bl=21300"})
    logged = [r for r in caplog.records if r.getMessage() == "cmcd"]
    assert logged and logged[0].cmcd == {"br": "3200", "ot": "v", "sid": '"s1"', "bl": "21300"}


async def test_keep_alive_serves_several_requests_on_one_connection(edge: Edge) -> None:
    edge.origin.add(SEGMENT, DATA)
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
    path = edge.url("t1/j1/v0/seg_00001.m4s")
    for _ in range(3):
        writer.write(f"GET {path} HTTP/1.1\r\nHost: e\r\n\r\n".encode())
        assert (await read_reply(reader)).body == DATA
    writer.close()


async def _raw(edge: Edge, data: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
    writer.write(data)
    try:
        return await asyncio.wait_for(reader.read(), 60)
    finally:
        writer.close()


async def test_oversized_and_unterminated_heads_are_431(edge: Edge) -> None:
    big = b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000 + b"\r\n\r\n"
    assert (await _raw(edge, big)).startswith(b"HTTP/1.1 431")
    endless = b"GET / HTTP/1.1\r\nX: " + b"a" * 20_000  # never ends its line
    assert (await _raw(edge, endless)).startswith(b"HTTP/1.1 431")
    assert edge.origin.calls == 0


async def test_stalled_clients_are_cut_off_and_caps_hold(tmp_path: Path) -> None:
    origin = FakeOrigin()
    limits = ServeLimits(header_timeout_s=0.3, keep_alive_s=0.3, max_connections_per_address=3)
    edge = await make_edge(tmp_path / "cache", origin, limits=limits)
    try:
        stalled = [await asyncio.open_connection("127.0.0.1", edge.port) for _ in range(3)]
        for _, writer in stalled:
            writer.write(b"GET / HTTP/1.1\r\nHost:")  # and nothing more
        await eventually(lambda: edge.stats.connections == 3, "3 connections")
        # A fourth from the same address is over the cap: 503 at once.
        assert (await _raw(edge, b"")).startswith(b"HTTP/1.1 503")
        for reader, writer in stalled:
            assert (await asyncio.wait_for(reader.read(), 60)).startswith(b"HTTP/1.1 408")
            writer.close()
        await eventually(lambda: edge.stats.connections == 0, "the stalled ones closed")
        assert (await edge.get("/")).status == 404  # the slots are free again
    finally:
        await edge.server.stop()


async def test_hits_pipelined_and_larger_than_the_socket_takes_arrive_whole(
    tmp_path: Path,
) -> None:
    origin = FakeOrigin()
    edge = await make_edge(tmp_path / "cache", origin, capacity=64 * 1024 * 1024)
    big = os.urandom(16 * 1024 * 1024)
    origin.add("media/t1/j1/v0/big.m4s", big)
    origin.add(SEGMENT, DATA)
    big_path, small_path = edge.url("t1/j1/v0/big.m4s"), edge.url("t1/j1/v0/seg_00001.m4s")
    try:
        for path in (big_path, small_path, big_path, small_path):  # filled, then opened
            assert (await edge.get(path)).status == 200
        reader, writer = await asyncio.open_connection("127.0.0.1", edge.port)
        requests = [big_path, small_path, small_path + "?CMCD=br%3D1", big_path]
        writer.write(b"".join(f"GET {p} HTTP/1.1\r\nHost: e\r\n\r\n".encode() for p in requests))
        writer.write(f"HEAD {small_path} HTTP/1.1\r\nHost: e\r\n\r\n".encode())
        for path in requests:
            reply = await read_reply(reader)
            assert reply.status == 200
            assert reply.body == (big if path.startswith(big_path) else DATA)
        head = await read_reply(reader, head_only=True)
        assert head.status == 200 and head.headers["content-length"] == str(len(DATA))
        writer.close()
        await eventually(lambda: edge.stats.results["hit"] == 2 + 5, "7 hits")
        assert origin.gets == 2 and edge.stats.results["miss"] == 2
    finally:
        await edge.server.stop()
