"""Retry rules: which requests are idempotent; the retry budget over a window."""

from __future__ import annotations

import pytest

from reelstack.chassis.resilience.retry import RetryBudget, is_idempotent


def test_idempotent_by_method_unless_the_caller_says() -> None:
    for method in ("GET", "HEAD", "PUT", "DELETE", "OPTIONS"):
        assert is_idempotent(method)
    assert not is_idempotent("POST")
    assert not is_idempotent("PATCH")
    assert is_idempotent("POST", True)
    assert not is_idempotent("GET", False)


def test_budget_allows_a_ratio_of_the_calls() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0, window_s=10)
    for _ in range(10):
        budget.deposit(1.0)
    assert budget.try_withdraw(1.0)
    assert budget.try_withdraw(1.0)
    assert not budget.try_withdraw(1.0)
    # More calls earn more retries.
    for _ in range(5):
        budget.deposit(2.0)
    assert budget.try_withdraw(2.0)
    assert not budget.try_withdraw(2.0)


def test_budget_forgets_calls_and_retries_outside_the_window() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0, window_s=10)
    for _ in range(10):
        budget.deposit(0.5)
    assert budget.try_withdraw(0.5)
    assert budget.try_withdraw(0.5)
    assert not budget.try_withdraw(0.5)
    # 10 s on, the old calls no longer earn retries, and the old retries are spent.
    assert not budget.try_withdraw(10.6)
    for _ in range(5):
        budget.deposit(10.6)
    assert budget.try_withdraw(10.6)
    assert not budget.try_withdraw(10.6)


def test_reserve_lets_a_quiet_caller_retry() -> None:
    budget = RetryBudget(ratio=0.2, min_per_s=0.5, window_s=10)  # 5 per window
    budget.deposit(0.0)
    for _ in range(5):
        assert budget.try_withdraw(0.0)
    assert not budget.try_withdraw(0.0)


def test_configure_applies_live() -> None:
    budget = RetryBudget(ratio=0.0, min_per_s=0, window_s=10)
    budget.deposit(0.0)
    assert not budget.try_withdraw(0.0)
    budget.configure(ratio=1.0, min_per_s=0)
    assert budget.try_withdraw(0.0)


def test_budget_can_read_its_calls_from_another_counter() -> None:
    calls = {"n": 10}
    budget = RetryBudget(ratio=0.2, min_per_s=0, window_s=10, calls=lambda now: calls["n"])
    assert budget.try_withdraw(0.0)
    assert budget.try_withdraw(0.0)
    assert not budget.try_withdraw(0.0)
    calls["n"] = 20
    assert budget.try_withdraw(0.0)
    assert budget.try_withdraw(0.0)
    assert not budget.try_withdraw(0.0)
    with pytest.raises(TypeError):
        budget.deposit(0.0)
