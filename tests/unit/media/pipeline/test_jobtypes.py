"""Encode requests, progress events and tasks: checked, and the same after the log."""

from __future__ import annotations

import pytest

from reelstack.errors import InvalidRequestError
from reelstack.media.ladder.plan import Rung
from reelstack.media.pipeline.jobtypes import EncodeRequest, JobState, ProgressEvent, SubtitleSource
from reelstack.media.pipeline.tasks import Task


def test_request_checks_its_fields_and_survives_json() -> None:
    request = EncodeRequest(
        ladder="fixed",
        rungs=(Rung(640, 360, 800),),
        av1=True,
        encrypt=False,
        subtitles=(SubtitleSource("subs/t1/en.srt", "en", "English", default=True),),
        audio_language="fr",
    )
    assert EncodeRequest.from_json(request.to_json()) == request
    for bad in (
        {"ladder": "best"},
        {"rungs": (Rung(641, 360, 800),)},
        {"rungs": (Rung(640, 360, 0),)},
        {"subtitles": (SubtitleSource("k", "english!"),)},
        {"audio_language": "x y"},
    ):
        with pytest.raises(InvalidRequestError):
            EncodeRequest(**bad)  # type: ignore[arg-type]


def test_progress_event_and_task_survive_the_log() -> None:
    event = ProgressEvent("j1", "t1", JobState.ENCODING, 0.5, part="c0001", part_progress=0.25)
    assert ProgressEvent.decode(event.encode()) == event
    task = Task("part", "j1", "c0002", 2)
    assert Task.decode(task.encode()) == task
    assert Task.decode(Task("package", "j1").encode()) == Task("package", "j1")
    with pytest.raises(ValueError):
        Task("part", "j1")
    with pytest.raises(ValueError):
        Task("encode", "j1")
