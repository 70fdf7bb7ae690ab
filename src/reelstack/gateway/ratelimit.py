"""Token-bucket rate limits, one bucket per key (an account, a client address).

Each key's bucket holds up to ``burst`` tokens and refills at ``rate`` tokens
per second; a request takes one token or is refused with the time until the
next token (the ``Retry-After`` the client gets). A bucket that has refilled
to ``burst`` is the same as no bucket, so idle keys are swept away and the
memory held follows the number of recently active keys, not of all keys ever
seen.
"""

from __future__ import annotations

import math

# Past this many keys a sweep runs on insert, whatever the sweep timer says.
MAX_KEYS = 100_000


class TokenBuckets:
    """Buckets for one kind of key; ``rate`` <= 0 turns the limit off."""

    __slots__ = ("buckets", "burst", "rate")

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = max(burst, 1.0)
        # key -> [tokens, last refill time]; lists so an update allocates nothing.
        self.buckets: dict[str, list[float]] = {}

    def configure(self, rate: float, burst: float) -> None:
        """Apply new limits; buckets keep their tokens, capped to the new burst."""
        self.rate = rate
        self.burst = max(burst, 1.0)

    def take(self, key: str, now: float) -> float:
        """Take a token for ``key``; return 0.0 if allowed, else seconds until a token."""
        rate = self.rate
        if rate <= 0.0:
            return 0.0
        bucket = self.buckets.get(key)
        if bucket is None:
            if len(self.buckets) >= MAX_KEYS:
                self.sweep(now)
            self.buckets[key] = [self.burst - 1.0, now]
            return 0.0
        tokens = bucket[0] + (now - bucket[1]) * rate
        if tokens > self.burst:
            tokens = self.burst
        bucket[1] = now
        if tokens >= 1.0:
            bucket[0] = tokens - 1.0
            return 0.0
        bucket[0] = tokens
        return (1.0 - tokens) / rate

    def sweep(self, now: float) -> int:
        """Forget the buckets that are full again at ``now``; return how many."""
        rate, burst = self.rate, self.burst
        if rate <= 0.0:
            count = len(self.buckets)
            self.buckets.clear()
            return count
        full = [
            k for k, (tokens, at) in self.buckets.items() if tokens + (now - at) * rate >= burst
        ]
        for key in full:
            del self.buckets[key]
        return len(full)


def retry_after(wait_s: float) -> int:
    """Return ``Retry-After`` seconds for a wait: whole seconds, at least 1."""
    return max(1, math.ceil(wait_s))
