"""Subtitle parsing on a crafted file: today's parser beside the patterns it replaced.

The anchor is the cue-timing pattern the parser used before issue 11,
``(.*?)\\s*-->\\s*(\\S+)(.*)``, matched on one line of ``SPACES`` spaces
ending in ``-->`` (its cost grows with the cube of the run: about 0.4 s at
8,000 spaces, minutes at 80,000). The figure is the whole parse of the same
kind of file today, refused by its line length, and of a 4 MiB file of such
lines each just under the cap, which it reads in full.

Run: ``.venv/bin/python -m bench.bench_subtitles [SPACES]``.
"""

from __future__ import annotations

import contextlib
import re
import sys
import time
from collections.abc import Callable

from bench.common import Result, header, report
from reelstack.media.source import subtitles
from reelstack.media.source.validate import MediaRefused

OLD_ARROW = re.compile(r"^(.*?)\s*-->\s*(\S+)(.*)$")


def _seconds(run: Callable[[], object]) -> float:
    start = time.perf_counter()
    # Refused is the outcome expected for the crafted file.
    with contextlib.suppress(MediaRefused):
        run()
    return time.perf_counter() - start


def main() -> None:
    spaces = int(sys.argv[1]) if len(sys.argv) > 1 else 12_000
    line = "0" + " " * spaces + "-->"
    crafted = b"1\n" + line.encode() + b"\n"
    anchor = _seconds(lambda: OLD_ARROW.match(line))
    header()
    report(
        Result(
            f"parse crafted line ({spaces} spaces)",
            _seconds(lambda: subtitles.parse(crafted)),
            "s",
            "old arrow pattern, same line",
            anchor,
        )
    )
    pad = b" " * (subtitles.MAX_LINE_CHARS - 40)
    capped = b"1\n00:00:01,000" + pad + b"--> 00:00:02,000\nx\n\n"
    full = capped * (subtitles.MAX_BYTES // len(capped))
    short = "0" + " " * (subtitles.MAX_LINE_CHARS - 40) + "-->"
    lines = full.count(b"-->")
    report(
        Result(
            f"parse 4 MiB of capped crafted lines ({lines})",
            _seconds(lambda: subtitles.parse(full)),
            "s",
            "old arrow pattern, as many such lines without an end",
            _seconds(lambda: [OLD_ARROW.match(short) for _ in range(lines)]),
        )
    )


if __name__ == "__main__":
    main()
