"""Find the ffmpeg and ffprobe binaries the pipeline runs.

ffmpeg comes from imageio-ffmpeg: its static build has libx264, libsvtav1,
AAC and libvmaf with the VMAF model built in, which per-title planning needs.
imageio-ffmpeg ships no ffprobe, so ffprobe comes from the system (Debian's
``ffmpeg`` package puts it in /usr/bin). The system's ffmpeg is the fallback
when imageio-ffmpeg is missing; Debian's has no libvmaf, so per-title trials
are then unavailable and :attr:`Binaries.has_vmaf` says so.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from reelstack.media.ffmpeg.errors import FfmpegMissingError

_INSTALL_HINT = "install it with `apt-get install -y ffmpeg` (Debian/Ubuntu) or `make setup`"


@dataclass(frozen=True, slots=True)
class Binaries:
    """The two executables and what the ffmpeg build can do."""

    ffmpeg: Path
    ffprobe: Path
    has_vmaf: bool

    def require_vmaf(self) -> None:
        """Raise FfmpegMissingError unless this ffmpeg has the libvmaf filter."""
        if not self.has_vmaf:
            raise FfmpegMissingError(
                f"{self.ffmpeg} has no libvmaf filter: per-title trials need the ffmpeg "
                "bundled with imageio-ffmpeg (pip install imageio-ffmpeg)"
            )


def _executable(path: str | Path) -> Path | None:
    candidate = Path(path)
    if candidate.is_file() and os.access(candidate, os.X_OK):
        return candidate.resolve()
    return None


def _bundled_ffmpeg() -> Path | None:
    try:
        import imageio_ffmpeg  # type: ignore[import-untyped]
    except ImportError:
        return None
    try:
        return _executable(imageio_ffmpeg.get_ffmpeg_exe())
    except RuntimeError:  # imageio-ffmpeg raises this when its binary is absent
        return None


def find_ffmpeg(explicit: str = "") -> Path:
    """Return the ffmpeg to run: the explicit path, imageio-ffmpeg's, or the system's."""
    if explicit:
        found = _executable(explicit)
        if found is None:
            raise FfmpegMissingError(f"ffmpeg {explicit!r} (media.ffmpeg) is not an executable")
        return found
    found = _bundled_ffmpeg()
    if found is None:
        which = shutil.which("ffmpeg")
        found = _executable(which) if which else None
    if found is None:
        raise FfmpegMissingError(f"no ffmpeg found: pip install imageio-ffmpeg, or {_INSTALL_HINT}")
    return found


def find_ffprobe(explicit: str = "") -> Path:
    """Return the ffprobe to run: the explicit path, else the system's."""
    if explicit:
        found = _executable(explicit)
        if found is None:
            raise FfmpegMissingError(f"ffprobe {explicit!r} (media.ffprobe) is not an executable")
        return found
    which = shutil.which("ffprobe")
    for candidate in (which, "/usr/bin/ffprobe", "/usr/local/bin/ffprobe"):
        if candidate and (found := _executable(candidate)) is not None:
            return found
    raise FfmpegMissingError(
        f"no ffprobe found (imageio-ffmpeg ships none): {_INSTALL_HINT}, or set media.ffprobe"
    )


@functools.cache
def ffmpeg_has_filter(ffmpeg: Path, name: str) -> bool:
    """Whether this ffmpeg build lists the filter ``name`` (asked once per binary)."""
    try:
        out = subprocess.run(
            [str(ffmpeg), "-hide_banner", "-nostdin", "-filters"],
            capture_output=True,
            timeout=30,
            check=False,
            stdin=subprocess.DEVNULL,
        ).stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return False
    return any(line.split()[1:2] == [name] for line in out.splitlines())


def find_binaries(ffmpeg: str = "", ffprobe: str = "") -> Binaries:
    """Find both binaries (explicit paths first) and whether ffmpeg has libvmaf."""
    ffmpeg_path = find_ffmpeg(ffmpeg)
    return Binaries(
        ffmpeg=ffmpeg_path,
        ffprobe=find_ffprobe(ffprobe),
        has_vmaf=ffmpeg_has_filter(ffmpeg_path, "libvmaf"),
    )
