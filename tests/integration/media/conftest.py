"""Small generated clips and hostile files for the media integration tests.

Every input is made here with ffmpeg's lavfi sources (testsrc2, sine), small
and a few seconds long, so the suite stays quick on two cores.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelstack import settings
from reelstack.config import group_defaults
from reelstack.media import settings as media_settings
from reelstack.media.ffmpeg import Binaries, FfmpegMissingError, find_binaries, make_job_folder
from reelstack.media.source.validate import MediaLimits, ValidatedMedia, stage_upload, validate

from .hostile import ConnectionRecorder, Tripwire

DEFAULT_LIMITS = group_defaults(settings.registry(), MediaLimits, media_settings.LIMITS)


@pytest.fixture(scope="session")
def binaries() -> Binaries:
    try:
        found = find_binaries()
    except FfmpegMissingError as exc:
        pytest.skip(f"media tests need ffmpeg and ffprobe: {exc}")
    return found


class ClipMaker:
    """Generates test inputs with the bundled ffmpeg into one folder."""

    def __init__(self, ffmpeg: Path, folder: Path) -> None:
        self.ffmpeg = ffmpeg
        self.folder = folder

    def make(self, name: str, *args: str) -> Path:
        """Run ``ffmpeg ARGS folder/name`` once per session; return the file."""
        out = self.folder / name
        if not out.exists():
            quiet = ("-nostdin", "-hide_banner", "-loglevel", "error", "-y")
            subprocess.run(
                [str(self.ffmpeg), *quiet, *args, str(out)],
                check=True,
                timeout=120,
            )
        return out

    def video(
        self,
        name: str,
        *,
        size: str = "320x240",
        seconds: float = 3,
        vcodec: tuple[str, ...] = ("-c:v", "libx264", "-preset", "veryfast"),
        audio: tuple[str, ...] = ("-c:a", "aac"),
        channels: int = 2,
        extra: tuple[str, ...] = (),
        rate: int = 25,
    ) -> Path:
        """A testsrc2 clip with a sine tone (``audio=()`` for none)."""
        args = ["-f", "lavfi", "-i", f"testsrc2=size={size}:rate={rate}:duration={seconds}"]
        if audio:
            layout = "5.1" if channels == 6 else "stereo"
            args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={seconds}"]
            args += ["-filter_complex", f"[1:a]aformat=channel_layouts={layout}[a]"]
            args += ["-map", "0:v", "-map", "[a]", *audio]
        return self.make(name, *args, *vcodec, *extra)


@pytest.fixture(scope="session")
def clips(binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> ClipMaker:
    return ClipMaker(binaries.ffmpeg, tmp_path_factory.mktemp("clips"))


@pytest.fixture
def job_dir(tmp_path: Path) -> Path:
    return make_job_folder(tmp_path / "jobs")


@pytest.fixture
def limits() -> MediaLimits:
    return DEFAULT_LIMITS


def check(
    upload: Path, job_dir: Path, binaries: Binaries, limits: MediaLimits | None = None
) -> ValidatedMedia:
    """Stage and validate an upload the way the ingest path does."""
    staged = stage_upload(upload, job_dir)
    return validate(staged, job_dir=job_dir, limits=limits or DEFAULT_LIMITS, binaries=binaries)


@pytest.fixture
def tripwire(tmp_path: Path) -> Iterator[Tripwire]:
    wire = Tripwire(tmp_path / "bait" / "secret.mp4")
    yield wire
    wire.close()


@pytest.fixture
def listener() -> Iterator[ConnectionRecorder]:
    recorder = ConnectionRecorder()
    yield recorder
    recorder.close()


@pytest.fixture(autouse=True)
def _no_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy variable would send the control runs' connections elsewhere.
    for key in list(os.environ):
        if key.lower().endswith("_proxy"):
            monkeypatch.delenv(key)
