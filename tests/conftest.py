"""Hooks for every test: a failing test's report carries the logs of its child processes."""

from __future__ import annotations

from collections.abc import Generator

import pytest

from tests.support.processes import live


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        for child in live():
            report.sections.append((f"log of {child.name}", child.tail()))
    return report
