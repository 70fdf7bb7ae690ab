"""Bulkhead: bounded concurrency, full means refused at once."""

from __future__ import annotations

import pytest

from reelstack.chassis.resilience.bulkhead import Bulkhead


def test_refuses_past_the_limit_and_takes_calls_again_once_one_ends() -> None:
    bulkhead = Bulkhead(2)
    assert bulkhead.try_acquire()
    assert bulkhead.try_acquire()
    assert not bulkhead.try_acquire()
    assert (bulkhead.in_use, bulkhead.rejected) == (2, 1)
    bulkhead.release()
    assert bulkhead.try_acquire()
    assert (bulkhead.in_use, bulkhead.rejected) == (2, 1)


def test_a_lower_limit_applies_to_the_next_call() -> None:
    bulkhead = Bulkhead(3)
    bulkhead.try_acquire()
    bulkhead.try_acquire()
    bulkhead.max_concurrent = 2
    assert not bulkhead.try_acquire()


def test_limit_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_concurrent"):
        Bulkhead(0)
