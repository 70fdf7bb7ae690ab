"""Failed sign-ins counted per account (email) and per client address, in the store.

A sliding window: past ``per_account`` failures for one email, or
``per_address`` from one address, within ``window_s``, further attempts are
refused with the seconds until the oldest failure leaves the window. The
check runs before the password is verified, so a throttled attacker learns
nothing and costs no hash. Counting in the relational store makes the limit
hold across instances.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from reelstack.errors import ReelstackError
from reelstack.identity import repository
from reelstack.identity.context import Limits


class ThrottledError(ReelstackError):
    """Too many failed sign-ins; answered 429 with Retry-After."""

    def __init__(self, reason: str, retry_after_s: int) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(f"{reason}; retry in {retry_after_s} s")


def keys(subject: str, address: str | None) -> list[tuple[str, str]]:
    """Return the throttle keys of an attempt on ``subject`` (an email, a profile's PIN)."""
    found = [(f"account:{subject}", "account")]
    if address:
        found.append((f"address:{address}", "address"))
    return found


async def check(
    session: AsyncSession, *, limits: Limits, subject: str, address: str | None, now: datetime
) -> None:
    """Raise ThrottledError if this subject or address has used up its failures."""
    window = timedelta(seconds=limits.throttle_window_s)
    for key, kind in keys(subject, address):
        limit = limits.throttle_per_account if kind == "account" else limits.throttle_per_address
        count, oldest = await repository.failures_since(session, key, now - window)
        if count >= limit and oldest is not None:
            wait = max(1, math.ceil((oldest + window - now).total_seconds()))
            raise ThrottledError(f"too many failed sign-ins for this {kind}", wait)


async def record_failure(
    session: AsyncSession, *, limits: Limits, subject: str, address: str | None, now: datetime
) -> None:
    """Record a failed attempt, and drop failures that left the window."""
    await repository.add_failure(session, keys=[k for k, _ in keys(subject, address)], at=now)
    await repository.forget_failures(
        session, before=now - timedelta(seconds=limits.throttle_window_s)
    )
