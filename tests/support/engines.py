"""Where the real engines are, for the contract suites.

``make test`` starts every engine (``python -m tools.engines up``) and records
their addresses in ``.engines/state.json``; each engine offers environment
variables such as ``REELSTACK_TEST_POSTGRES``. An address set in the real
environment wins, so a developer can point a suite at their own server.

Outside CI a suite skips an engine that is not running. In CI (``CI=true``)
or with ``REELSTACK_REQUIRE_ENGINES=1`` a missing engine fails the test: no
contract test is skipped there. ``REELSTACK_TEST_EMBEDDED_ONLY=1`` (``make
check``) skips every real engine, running or not, whatever else is set.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

from tools.engines import load_state

TRUE = ("1", "true", "yes")


def embedded_only() -> bool:
    """Whether only the embedded adapters run (the inner loop): every engine is skipped."""
    return os.environ.get("REELSTACK_TEST_EMBEDDED_ONLY", "").lower() in TRUE


def required() -> bool:
    """Whether a missing engine is a failure rather than a skip."""
    if embedded_only():
        return False
    flags = (os.environ.get("CI", ""), os.environ.get("REELSTACK_REQUIRE_ENGINES", ""))
    return any(flag.lower() in TRUE for flag in flags)


def engine_env(variable: str) -> str | None:
    """The value of one engine variable, from the environment or the engine state."""
    if embedded_only():
        return None
    value = os.environ.get(variable)
    if value:
        return value
    for state in load_state().values():
        if variable in state.env:
            return state.env[variable]
    return None


def missing(message: str) -> NoReturn:
    """Skip the test for want of ``message``'s engine or tool; fail instead where it is required."""
    if required():
        pytest.fail(message)
    pytest.skip(message)


def require(variable: str) -> str:
    """The value of ``variable``; skip (or fail in CI) when no engine offers it."""
    value = engine_env(variable)
    if value is None:
        missing(f"{variable} not set and no running engine offers it (make engines-up)")
    return value
