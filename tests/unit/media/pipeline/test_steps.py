"""Tasks are run by the step of their kind; a kind without a step is an error."""

from __future__ import annotations

from typing import cast

import pytest

from reelstack.media.pipeline.step_job import job_step
from reelstack.media.pipeline.step_package import package_step
from reelstack.media.pipeline.step_part import part_step
from reelstack.media.pipeline.steps import STEPS, Context, UnknownTaskKind, run_task, step_for
from reelstack.media.pipeline.tasks import KINDS, Task


def test_every_task_kind_has_its_step() -> None:
    assert set(STEPS) == set(KINDS)
    assert step_for("job") is job_step
    assert step_for("part") is part_step
    assert step_for("package") is package_step


def test_a_kind_without_a_step_is_an_error() -> None:
    with pytest.raises(UnknownTaskKind, match="'transcode'"):
        step_for("transcode")


async def test_a_task_of_an_unknown_kind_is_refused_before_any_work() -> None:
    task = Task("job", "j1")
    # Task refuses unknown kinds itself; one that got past it (a newer
    # producer, a bug) must not run some other step.
    object.__setattr__(task, "kind", "transcode")
    untouched = cast(Context, object())  # any use of the context would raise
    with pytest.raises(UnknownTaskKind):
        await run_task(untouched, task)
