"""Values larger than an item split into chunks under a manifest, joined back or refused."""

from __future__ import annotations

from reelstack.adapters.cache.memcached_chunks import Manifest, split


def test_chunks_split_and_join_back_and_a_changed_chunk_is_refused() -> None:
    value = bytes(range(256)) * 40
    manifest, chunks = split(b"k", value, 1000)
    assert manifest.count == 11 and len(chunks) == 11
    assert list(chunks) == manifest.chunk_keys(b"k")
    assert all(len(key) < 250 for key in manifest.chunk_keys(b"k" * 250))
    assert Manifest.unpack(manifest.pack()) == manifest
    assert manifest.join(list(chunks.values())) == value
    parts = list(chunks.values())
    parts[3] = b"x" * len(parts[3])
    assert manifest.join(parts) is None
    assert manifest.join(parts[:-1]) is None
    other, _ = split(b"k", value, 1000)
    assert set(other.chunk_keys(b"k")).isdisjoint(manifest.chunk_keys(b"k"))
    assert Manifest.unpack(b"not a manifest") is None
