"""Intro and credits detection: the stretch of audio a season's episodes share.

Each episode's audio is fingerprinted with Chromaprint (ffmpeg's
``chromaprint`` muxer, raw output): one 32-bit sub-fingerprint every
4096/3 samples at 11025 Hz (about 0.124 s), each summarising the pitch-class
(chroma) energy of about two seconds of sound, so the same music gives nearly
the same bits whatever else happens around it. Two episodes are aligned by
trying every shift of one fingerprint against the other (or, for long
fingerprints, the shifts where sub-fingerprints match exactly); at each shift
the positions whose sub-fingerprints differ in few bits are matches, and the
longest run of matches (small gaps allowed) is the shared segment. Each
episode keeps the longest segment it shares with any other episode of its
season: the intro is searched near the start, the credits near the end, so
the shared intro may sit at a different offset in every episode.
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.fingerprint import fingerprint_argv
from reelstack.media.ffmpeg.options import SafeInput
from reelstack.media.ffmpeg.runner import Limits, run

HOP_S = 4096 / 3 / 11025
# Sub-fingerprint k summarises the audio around this long after k * HOP_S
# (Chromaprint's chroma filter and 16-row classifiers look ahead); measured on
# generated episodes, where it puts detected boundaries within about 0.5 s.
ITEM_OFFSET_S = 1.08
MAX_BIT_ERRORS = 8
"""Sub-fingerprints differing in at most this many of 32 bits match."""
MAX_GAP_ITEMS = 4
"""Unmatched sub-fingerprints tolerated inside one shared segment (about 0.5 s)."""
BRUTE_FORCE_LIMIT = 4_000_000
"""Beyond this many comparisons, only shifts with exact matches are tried."""
CANDIDATE_SHIFTS = 24


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """Sub-fingerprints of one stretch of an episode's audio."""

    start_s: float
    end_s: float
    items: tuple[int, ...]

    @property
    def span_s(self) -> float:
        return self.end_s - self.start_s

    def as_dict(self) -> dict[str, Any]:
        return {"start_s": self.start_s, "end_s": self.end_s, "items": list(self.items)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Fingerprint:
        return cls(float(data["start_s"]), float(data["end_s"]), tuple(data["items"]))


@dataclass(frozen=True, slots=True)
class EpisodePrints:
    """An episode's head (where the intro may be) and tail (where credits may be)."""

    duration_s: float
    head: Fingerprint
    tail: Fingerprint

    def as_dict(self) -> dict[str, Any]:
        return {
            "duration_s": self.duration_s,
            "head": self.head.as_dict(),
            "tail": self.tail.as_dict(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EpisodePrints:
        return cls(
            float(data["duration_s"]),
            Fingerprint.from_dict(data["head"]),
            Fingerprint.from_dict(data["tail"]),
        )


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of matching sub-fingerprints: [a_first, a_last] in A, shifted by ``shift`` in B."""

    a_first: int
    a_last: int
    shift: int

    @property
    def items(self) -> int:
        return self.a_last - self.a_first + 1

    @property
    def b_first(self) -> int:
        return self.a_first - self.shift

    @property
    def b_last(self) -> int:
        return self.a_last - self.shift


@dataclass(frozen=True, slots=True)
class Markers:
    """What the player needs for one episode (seconds; None when not found)."""

    intro_start_s: float | None = None
    intro_end_s: float | None = None
    credits_start_s: float | None = None


# -- fingerprinting ----------------------------------------------------------------


def read_raw(data: bytes) -> tuple[int, ...]:
    """Sub-fingerprints from Chromaprint's raw output (little-endian uint32)."""
    return struct.unpack(f"<{len(data) // 4}I", data[: len(data) // 4 * 4])


def fingerprint(
    binaries: Binaries,
    src: SafeInput,
    *,
    start_s: float,
    end_s: float,
    job_dir: Path,
    limits: Limits,
) -> Fingerprint:
    """Fingerprint ``[start_s, end_s)`` of the source's audio."""
    out = job_dir / f"print-{int(start_s * 1000)}.raw"
    argv = fingerprint_argv(
        binaries.ffmpeg, src, start_s=start_s, duration_s=end_s - start_s, out=out
    )
    run(argv, cwd=job_dir, limits=limits)
    items = read_raw(out.read_bytes()) if out.exists() else ()
    out.unlink(missing_ok=True)
    return Fingerprint(start_s, end_s, items)


def episode_prints(
    binaries: Binaries,
    src: SafeInput,
    *,
    duration_s: float,
    intro_search_s: float,
    credits_search_s: float,
    job_dir: Path,
    limits: Limits,
) -> EpisodePrints:
    """Fingerprint the head (at most 60%) and the tail (at most 40%) of an episode."""
    head_end = min(intro_search_s, 0.6 * duration_s)
    tail_start = max(duration_s - credits_search_s, 0.6 * duration_s)
    head = fingerprint(binaries, src, start_s=0.0, end_s=head_end, job_dir=job_dir, limits=limits)
    tail = fingerprint(
        binaries, src, start_s=tail_start, end_s=duration_s, job_dir=job_dir, limits=limits
    )
    return EpisodePrints(duration_s, head, tail)


# -- alignment ---------------------------------------------------------------------


def _longest_run(matches: Sequence[int], max_gap: int) -> tuple[int, int] | None:
    best: tuple[int, int] | None = None
    first = previous = -1
    for index in [*matches, None]:
        if index is not None and previous >= 0 and index - previous <= max_gap + 1:
            previous = index
            continue
        if previous >= 0 and (best is None or previous - first > best[1] - best[0]):
            best = (first, previous)
        if index is not None:
            first = previous = index
    return best


def segment_at(
    a: Sequence[int], b: Sequence[int], shift: int, *, max_bits: int, max_gap: int
) -> Segment | None:
    """The longest shared run when ``a[i]`` is laid over ``b[i - shift]``."""
    low, high = max(0, shift), min(len(a), len(b) + shift)
    matches = [i for i in range(low, high) if (a[i] ^ b[i - shift]).bit_count() <= max_bits]
    run_ = _longest_run(matches, max_gap)
    return Segment(run_[0], run_[1], shift) if run_ else None


def candidate_shifts(a: Sequence[int], b: Sequence[int], limit: int) -> list[int]:
    """Shifts (and their neighbours) where the most sub-fingerprints match exactly."""
    where: dict[int, list[int]] = {}
    for j, value in enumerate(b):
        where.setdefault(value, []).append(j)
    votes: Counter[int] = Counter()
    for i, value in enumerate(a):
        for j in where.get(value, ()):
            votes[i - j] += 1
    shifts: list[int] = []
    for shift, _ in votes.most_common(limit):
        for near in (shift - 1, shift, shift + 1):
            if near not in shifts:
                shifts.append(near)
    return shifts


def common_segment(
    a: Sequence[int],
    b: Sequence[int],
    *,
    min_items: int,
    max_bits: int = MAX_BIT_ERRORS,
    max_gap: int = MAX_GAP_ITEMS,
) -> Segment | None:
    """The longest stretch ``a`` and ``b`` share, at any shift; None if under ``min_items``."""
    if not a or not b:
        return None
    if len(a) * len(b) <= BRUTE_FORCE_LIMIT:
        shifts: Sequence[int] = range(-len(b) + 1, len(a))
    else:
        shifts = candidate_shifts(a, b, CANDIDATE_SHIFTS)
    best: Segment | None = None
    for shift in shifts:
        found = segment_at(a, b, shift, max_bits=max_bits, max_gap=max_gap)
        if found is not None and (best is None or found.items > best.items):
            best = found
    return best if best is not None and best.items >= min_items else None


def pair_spans(
    a: Fingerprint, b: Fingerprint, found: Segment
) -> tuple[tuple[float, float], tuple[float, float]]:
    """Episode times of a shared segment in ``a`` and in ``b``.

    A run that starts at the first sub-fingerprint of either stretch may have
    begun before it: both sides then start at the same distance before their
    first matched item as that stretch's start, and likewise at the end.
    """
    start_offset = 0.0 if found.a_first == 0 or found.b_first == 0 else ITEM_OFFSET_S
    a_start = a.start_s + found.a_first * HOP_S + start_offset
    b_start = b.start_s + found.b_first * HOP_S + start_offset
    a_left = len(a.items) - 1 - found.a_last
    b_left = len(b.items) - 1 - found.b_last
    if a_left == 0 or b_left == 0:
        # The stretch that ran out: its end is that far past its last item.
        edge, last = (a, found.a_last) if a_left == 0 else (b, found.b_last)
        end_offset = edge.span_s - last * HOP_S
    else:
        end_offset = ITEM_OFFSET_S
    a_end = a.start_s + found.a_last * HOP_S + end_offset
    b_end = b.start_s + found.b_last * HOP_S + end_offset

    def clamp(fp: Fingerprint, value: float) -> float:
        return min(fp.end_s, max(fp.start_s, value))

    return (
        (clamp(a, a_start), clamp(a, a_end)),
        (clamp(b, b_start), clamp(b, b_end)),
    )


def _best_spans(prints: Mapping[str, Fingerprint], min_s: float) -> dict[str, tuple[float, float]]:
    """For each episode, the longest span (seconds) it shares with another one."""
    # A shared stretch of d seconds gives about (d - window) / hop matching
    # sub-fingerprints, the window being twice the item offset.
    min_items = max(2, round((min_s - 2 * ITEM_OFFSET_S) / HOP_S))
    ids = sorted(prints)
    best: dict[str, tuple[int, float, float]] = {}
    for n, first in enumerate(ids):
        for second in ids[n + 1 :]:
            a, b = prints[first], prints[second]
            found = common_segment(a.items, b.items, min_items=min_items)
            if found is None:
                continue
            for title_id, span in zip((first, second), pair_spans(a, b, found), strict=True):
                if title_id not in best or found.items > best[title_id][0]:
                    best[title_id] = (found.items, *span)
    return {title_id: (start, end) for title_id, (_, start, end) in best.items()}


def detect(season: Mapping[str, EpisodePrints], *, min_s: float) -> dict[str, Markers]:
    """Intro start/end and credits start of each episode of one season."""
    intros = _best_spans({k: v.head for k, v in season.items()}, min_s)
    credits = _best_spans({k: v.tail for k, v in season.items()}, min_s)
    out: dict[str, Markers] = {}
    for title_id in season:
        intro = intros.get(title_id)
        credit = credits.get(title_id)
        out[title_id] = Markers(
            intro_start_s=round(intro[0], 2) if intro else None,
            intro_end_s=round(intro[1], 2) if intro else None,
            credits_start_s=round(credit[0], 2) if credit else None,
        )
    return out
