"""Turn an uploaded subtitle file (SubRip or WebVTT) into a clean WebVTT document.

The text never reaches ffmpeg: cues are parsed here, checked (times in order,
within the title), and written back as WebVTT with only their timing and
text. Styling blocks, notes and cue settings of a WebVTT upload are dropped;
SubRip's ``<b>``, ``<i>`` and ``<u>`` tags are kept (WebVTT has them too),
any other markup is removed.

The parser runs in time linear in its input and in bounded memory whatever
the bytes: the file, each line and the number of cues are capped, lines are
split with string methods, cue times are read with ``str.partition`` and
anchored patterns, and the tag pattern uses possessive repeats so no position
is scanned twice (issue 11: ``(.*?)\\s*-->\\s*(\\S+)`` over a long run of
spaces took minutes). A deadline is checked between blocks as a last
guard; callers run it in a thread, off the event loop.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from reelstack.media.source.validate import MediaRefused

MAX_BYTES = 4 * 1024 * 1024
MAX_CUES = 50_000
MAX_LINE_CHARS = 2000
MAX_LANGUAGE_CHARS = 35
DEADLINE_S = 10.0
# Only fixed-width repeats: the string is stripped before it is matched.
_TIME = re.compile(r"(?:(\d{1,3}):)?(\d{1,2}):(\d{1,2})[.,](\d{1,3})")
# Possessive: a "<aaaa..." that never closes fails once, not once per letter.
_TAG = re.compile(r"</?([a-zA-Z]++)[^<>]*+>")
_KEPT_TAGS = frozenset({"b", "i", "u"})
_AMP = re.compile(r"&(?!(?:amp|lt|gt|nbsp|lrm|rlm|#\d{1,7});)")
_LANGUAGE = re.compile(r"[a-zA-Z]{2,3}(?:-[a-zA-Z0-9]{2,8})*+")


@dataclass(frozen=True, slots=True)
class Cue:
    """One subtitle: from, to (seconds) and its lines."""

    start_s: float
    end_s: float
    text: str


def check_language(language: str) -> str:
    """A BCP 47 language tag such as ``en`` or ``pt-BR``; MediaRefused otherwise."""
    if len(language) > MAX_LANGUAGE_CHARS or not _LANGUAGE.fullmatch(language):
        raise MediaRefused("subtitle", f"{language!r} is not a language tag such as en or pt-BR")
    return language


def _decode(data: bytes) -> str:
    if len(data) > MAX_BYTES:
        raise MediaRefused("subtitle", f"subtitle file over {MAX_BYTES} bytes")
    if b"\x00" in data:
        raise MediaRefused("subtitle", "subtitle file is binary, not text")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Older SubRip files are often Windows-1252; every byte decodes as something.
        return data.decode("cp1252", errors="replace")


def _seconds(text: str) -> float:
    match = _TIME.fullmatch(text.strip())
    if match is None:
        raise MediaRefused("subtitle", f"bad cue time {text.strip()[:40]!r}")
    hours, minutes, seconds, fraction = match.groups()
    if int(minutes) > 59 or int(seconds) > 59:
        raise MediaRefused("subtitle", f"bad cue time {text.strip()[:40]!r}")
    return (
        int(hours or 0) * 3600
        + int(minutes) * 60
        + int(seconds)
        + int(fraction.ljust(3, "0")) / 1000
    )


def _escape(text: str) -> str:
    return _AMP.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")


def _clean(text: str) -> str:
    """Cue text with only <b>, <i>, <u> kept and everything else escaped."""
    out: list[str] = []
    at = 0
    for match in _TAG.finditer(text):
        out.append(_escape(text[at : match.start()]))
        tag = match.group(1).lower()
        if tag in _KEPT_TAGS:
            out.append(f"</{tag}>" if match.group(0).startswith("</") else f"<{tag}>")
        at = match.end()
    out.append(_escape(text[at:]))
    return "".join(out)


def _blocks(text: str) -> list[list[str]]:
    """The file's blank-line separated blocks, each a list of lines; long lines refused."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise MediaRefused(
                "subtitle", f"line {number} is longer than {MAX_LINE_CHARS} characters"
            )
        if line.strip():
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _timing(line: str) -> tuple[float, float]:
    """Start and end of a cue timing line ``START --> END [settings]``."""
    start, _, rest = line.partition("-->")
    end = rest.split(maxsplit=1)
    if not end:
        raise MediaRefused("subtitle", f"a cue without an end time: {line.strip()[:40]!r}")
    return _seconds(start), _seconds(end[0])


def parse(data: bytes, *, deadline_s: float = DEADLINE_S) -> list[Cue]:
    """Cues of a SubRip or WebVTT file, in time order; MediaRefused if it is neither."""
    give_up = time.monotonic() + deadline_s
    text = _decode(data).replace("\r\n", "\n").replace("\r", "\n")
    blocks = _blocks(text)
    if blocks and blocks[0][0].lstrip().startswith("WEBVTT"):
        blocks = blocks[1:]
    cues: list[Cue] = []
    for lines in blocks:
        if time.monotonic() > give_up:
            # Unreachable with the caps above on any sane machine; a last guard.
            raise MediaRefused("subtitle", f"took longer than {deadline_s:g} s to read")
        timing = next((i for i, line in enumerate(lines[:2]) if "-->" in line), None)
        if timing is None:
            if lines[0].startswith(("NOTE", "STYLE", "REGION")):
                continue
            raise MediaRefused("subtitle", f"a block without a cue time: {lines[0][:40]!r}")
        start, end = _timing(lines[timing])
        if end <= start:
            continue  # zero-length cues show nothing
        body = "\n".join(_clean(line) for line in lines[timing + 1 :])
        if body:
            cues.append(Cue(start, end, body))
        if len(cues) > MAX_CUES:
            raise MediaRefused("subtitle", f"more than {MAX_CUES} cues")
    if not cues:
        raise MediaRefused("subtitle", "no cues found: not a SubRip or WebVTT file")
    cues.sort(key=lambda c: (c.start_s, c.end_s))
    return cues


def _stamp(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def to_webvtt(cues: list[Cue], *, duration_s: float | None = None) -> str:
    """A WebVTT document of ``cues``, those starting after ``duration_s`` left out."""
    out = ["WEBVTT", ""]
    for cue in cues:
        if duration_s is not None and cue.start_s >= duration_s:
            continue
        end = min(cue.end_s, duration_s) if duration_s is not None else cue.end_s
        out += [f"{_stamp(cue.start_s)} --> {_stamp(end)}", cue.text, ""]
    return "\n".join(out)


def convert(data: bytes, *, duration_s: float | None = None) -> str:
    """SubRip or WebVTT bytes to a clean WebVTT document."""
    return to_webvtt(parse(data), duration_s=duration_s)
