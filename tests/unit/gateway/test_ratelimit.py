from __future__ import annotations

from reelstack.gateway.ratelimit import TokenBuckets, retry_after


def test_allows_the_burst_then_the_rate() -> None:
    buckets = TokenBuckets(rate=2.0, burst=3.0)
    assert [buckets.take("a", 100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = buckets.take("a", 100.0)
    assert wait == 0.5  # one token every half second
    assert buckets.take("b", 100.0) == 0.0  # another key has its own bucket
    assert buckets.take("a", 100.5) == 0.0  # refilled one token
    assert buckets.take("a", 100.5) > 0.0


def test_zero_rate_turns_the_limit_off() -> None:
    buckets = TokenBuckets(rate=0.0, burst=1.0)
    assert all(buckets.take("a", 1.0) == 0.0 for _ in range(100))
    assert not buckets.buckets


def test_sweep_forgets_only_full_buckets() -> None:
    buckets = TokenBuckets(rate=1.0, burst=2.0)
    buckets.take("idle", 0.0)
    buckets.take("busy", 10.0)
    buckets.take("busy", 10.0)
    assert buckets.sweep(10.5) == 1
    assert set(buckets.buckets) == {"busy"}


def test_configure_caps_tokens_to_the_new_burst() -> None:
    buckets = TokenBuckets(rate=1.0, burst=10.0)
    buckets.take("a", 0.0)
    buckets.configure(rate=1.0, burst=2.0)
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) == 0.0
    assert buckets.take("a", 0.0) > 0.0


def test_retry_after_is_whole_seconds_at_least_one() -> None:
    assert retry_after(0.01) == 1
    assert retry_after(1.0) == 1
    assert retry_after(1.2) == 2
