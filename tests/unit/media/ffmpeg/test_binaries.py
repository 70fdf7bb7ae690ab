"""Finding ffmpeg and ffprobe, and telling whether ffmpeg has libvmaf."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from reelstack.media.ffmpeg import binaries
from reelstack.media.ffmpeg.binaries import (
    Binaries,
    ffmpeg_has_filter,
    find_ffmpeg,
    find_ffprobe,
)
from reelstack.media.ffmpeg.errors import FfmpegMissingError


def fake_tool(folder: Path, name: str, filters: str) -> Path:
    path = folder / name
    path.write_text(f"#!{sys.executable}\nprint({filters!r})\n")
    path.chmod(0o755)
    return path


def test_explicit_paths_win_and_must_be_executables(tmp_path: Path) -> None:
    tool = fake_tool(tmp_path, "ffprobe", "")
    assert find_ffprobe(str(tool)) == tool.resolve()
    assert find_ffmpeg(str(tool)) == tool.resolve()
    with pytest.raises(FfmpegMissingError, match=r"media\.ffprobe"):
        find_ffprobe(str(tmp_path / "absent"))
    (tmp_path / "plain").write_text("")
    with pytest.raises(FfmpegMissingError, match=r"media\.ffmpeg"):
        find_ffmpeg(str(tmp_path / "plain"))


def test_missing_ffprobe_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(binaries.shutil, "which", lambda name: None)
    monkeypatch.setattr(binaries, "_executable", lambda path: None)
    with pytest.raises(FfmpegMissingError, match="apt-get install -y ffmpeg"):
        find_ffprobe()
    monkeypatch.setattr(binaries, "_bundled_ffmpeg", lambda: None)
    with pytest.raises(FfmpegMissingError, match="imageio-ffmpeg"):
        find_ffmpeg()


def test_libvmaf_is_detected_from_the_filter_list(tmp_path: Path) -> None:
    with_vmaf = fake_tool(
        tmp_path, "with", " .. libvmaf           VV->V      Calculate the VMAF.\n .. scale  V->V  x"
    )
    without = fake_tool(tmp_path, "without", " .. vmafmotion        V->V       VMAF Motion.")
    assert ffmpeg_has_filter(with_vmaf, "libvmaf")
    assert not ffmpeg_has_filter(without, "libvmaf")
    assert not ffmpeg_has_filter(tmp_path / "absent", "libvmaf")


def test_require_vmaf() -> None:
    Binaries(Path("/x/ffmpeg"), Path("/x/ffprobe"), has_vmaf=True).require_vmaf()
    with pytest.raises(FfmpegMissingError, match="libvmaf"):
        Binaries(Path("/x/ffmpeg"), Path("/x/ffprobe"), has_vmaf=False).require_vmaf()
