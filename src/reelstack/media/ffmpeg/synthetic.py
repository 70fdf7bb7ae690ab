"""Builder of synthetic clips: ffmpeg's own picture and sound sources rendered to MP4.

Nothing is read from outside: the video is a lavfi source (test patterns,
fractals, cellular automata) and the audio a filtergraph of generated
sound. Both come from the caller's code (the demo catalog, a benchmark),
never from a user, which is why they may be whole filtergraphs.
"""

from __future__ import annotations

from pathlib import Path

from reelstack.media.ffmpeg.commands import FFMPEG_GLOBAL, output_arg
from reelstack.media.ffmpeg.options import SyntheticClip


def synthetic_argv(ffmpeg: Path, clip: SyntheticClip, *, out: Path) -> list[str]:
    """Render ``clip`` to H.264 (CRF, fixed GOP) and AAC in an MP4 at ``out``."""
    argv = [
        str(ffmpeg),
        *FFMPEG_GLOBAL,
        "-f",
        "lavfi",
        "-i",
        clip.video,
        "-filter_complex",
        clip.audio,
        "-map",
        "0:v",
        "-map",
        "[a]",
        "-t",
        f"{clip.seconds:g}",
        "-c:v",
        "libx264",
        "-preset",
        clip.preset,
        "-crf",
        str(clip.crf),
        "-pix_fmt",
        "yuv420p",
        "-g",
        str(clip.gop_frames),
        "-c:a",
        "aac",
        "-b:a",
        f"{clip.audio_kbps}k",
    ]
    if clip.faststart:
        argv += ["-movflags", "+faststart"]
    return [*argv, "-f", "mp4", output_arg(out)]
