"""The media pipeline: validate uploads, plan the encoding ladder, encode, package.

:mod:`reelstack.media.ffmpeg` is the safe wrapper every ffmpeg run goes
through; :mod:`.validate` refuses bad uploads before any work;
:mod:`.ladder` plans ladders (Netflix's fixed one, or per-title from trial
points) as pure functions; :mod:`.pertitle` runs the trial encodes and VMAF
measurements that feed it.
"""

from __future__ import annotations
