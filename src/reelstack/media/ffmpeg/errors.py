"""Errors of the ffmpeg wrapper, placed in reelstack's error tree.

UnavailableError
└── FfmpegMissingError     no usable ffmpeg/ffprobe binary, or one lacks a feature
ReelstackError
└── FfmpegError            ffmpeg or ffprobe failed: exit status and stderr tail
    ├── FfmpegTimeoutError     killed after the wall-clock limit
    └── FfmpegLimitError       killed by a resource limit (CPU time, output size)
"""

from __future__ import annotations

from reelstack.errors import ReelstackError, UnavailableError


class FfmpegMissingError(UnavailableError):
    """A binary the media pipeline needs is not installed (or lacks a feature)."""


class FfmpegError(ReelstackError):
    """An ffmpeg or ffprobe run failed."""

    def __init__(self, tool: str, returncode: int, stderr_tail: str, reason: str = "") -> None:
        self.tool = tool
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        self.reason = reason or f"exit status {returncode}"
        detail = f": {stderr_tail.strip()}" if stderr_tail.strip() else ""
        super().__init__(f"{tool} failed ({self.reason}){detail}")


class FfmpegTimeoutError(FfmpegError):
    """The run took longer than its wall-clock limit and was killed."""


class FfmpegLimitError(FfmpegError):
    """The run was killed by a resource limit (CPU seconds or output file size)."""
