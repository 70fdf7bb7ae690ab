"""The demo catalog: a dozen short titles made from ffmpeg's synthetic sources.

Nothing is downloaded. Each film is a lavfi video source (test patterns,
fractals, cellular automata, gradients) with its own soundtrack (tones,
melodies, noise); the series' episodes share an intro melody that starts at
a different moment in each, and end on the same credits music, so intro
detection has something real to find. Sources are generated once into a
cache folder named by a hash of the whole spec (titles, length, size).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from reelstack.media.ffmpeg.binaries import Binaries
from reelstack.media.ffmpeg.options import SyntheticClip
from reelstack.media.ffmpeg.runner import Limits, run
from reelstack.media.ffmpeg.synthetic import synthetic_argv

GENERATOR_VERSION = 2  # 2: seeded sources, the same frames on every machine
RATE = 25
INTRO_S = 6.0
CREDITS_S = 5.0
EPISODE_MIN_S = 30.0
SERIES = "The Signal"

# Shared by every episode: twelve notes through all twelve pitch classes,
# and a second voice an octave up, so no shift but the true one lines up.
INTRO_MELODY = (
    "0.35*sin(2*PI*t*261.63*pow(2,mod(7*floor(t*2),12)/12))"
    "+0.15*sin(4*PI*t*261.63*pow(2,mod(7*floor(t*2),12)/12))"
)
CREDITS_MELODY = "0.35*sin(2*PI*t*392*pow(2,mod(5*floor(t*2),12)/12))"


def melody(base_hz: float, step: int, notes_per_s: float, noise: float = 0.03) -> str:
    """A melody walking a scale by ``step`` semitones, with a little noise."""
    note = f"pow(2,mod({step}*floor(t*{notes_per_s:g}),12)/12)"
    return f"0.3*sin(2*PI*t*{base_hz:g}*{note})+{noise:g}*(random(0)-0.5)"


@dataclass(frozen=True, slots=True)
class DemoTitle:
    """One title of the demo catalog."""

    slug: str
    name: str
    synopsis: str
    genres: tuple[str, ...]
    rating: str
    video: str
    """A lavfi video source; ``{size}`` and ``{rate}`` are filled in."""
    audio: str
    """An aevalsrc expression (films), or the episode's own filler melody."""
    series: str | None = None
    season: int | None = None
    episode: int | None = None
    intro_at_s: float | None = None

    def metadata(self) -> dict[str, str]:
        """Upload metadata for the media service."""
        data = {
            "title": self.name,
            "synopsis": self.synopsis,
            "genres": ",".join(self.genres),
            "maturity_rating": self.rating,
            "filename": f"{self.slug}.mp4",
        }
        if self.series is not None:
            data.update(series=self.series, season=str(self.season), episode=str(self.episode))
        return data


CATALOG: tuple[DemoTitle, ...] = (
    DemoTitle(
        "the-signal-s1e1",
        "The Signal: Pilot",
        "A lighthouse keeper hears a melody in the static that nobody else can.",
        ("Mystery", "Sci-Fi"),
        "TV-14",
        "testsrc2=size={size}:rate={rate},hue=h=20",
        melody(196, 3, 1.5),
        SERIES,
        1,
        1,
        2.0,
    ),
    DemoTitle(
        "the-signal-s1e2",
        "The Signal: Interference",
        "The melody returns, louder, and the town's radios begin to answer.",
        ("Mystery", "Sci-Fi"),
        "TV-14",
        "testsrc2=size={size}:rate={rate},hue=h=140",
        melody(233, 5, 2.5),
        SERIES,
        1,
        2,
        5.5,
    ),
    DemoTitle(
        "the-signal-s1e3",
        "The Signal: Carrier Wave",
        "A trip to the old transmitter reveals who has been broadcasting all along.",
        ("Mystery", "Sci-Fi"),
        "TV-14",
        "testsrc2=size={size}:rate={rate},hue=h=260",
        melody(174, 11, 3),
        SERIES,
        1,
        3,
        3.5,
    ),
    DemoTitle(
        "bars-and-tone",
        "Bars and Tone",
        "A meditation on the last minute before broadcast, at one kilohertz.",
        ("Drama",),
        "G",
        "smptehdbars=size={size}:rate={rate}",
        "0.25*sin(2*PI*1000*t)",
    ),
    DemoTitle(
        "mandelbrot-descent",
        "Mandelbrot Descent",
        "A dive into the most famous set in mathematics, scored for two oscillators.",
        ("Documentary", "Science"),
        "PG",
        "mandelbrot=size={size}:rate={rate}:maxiter=200",
        melody(220, 7, 1),
    ),
    DemoTitle(
        "game-of-life",
        "Game of Life",
        "Gliders, blinkers and a colony that will not die.",
        ("Documentary", "Nature"),
        "G",
        "life=size=320x180:rate={rate}:mold=10:ratio=0.15:death_color=#203040"
        ":life_color=#40ff90:seed=1,scale={size}:flags=neighbor",
        melody(330, 2, 4),
    ),
    DemoTitle(
        "rule-110",
        "Rule 110",
        "One line of cells, one rule, and a machine that can compute anything.",
        ("Science",),
        "PG",
        "cellauto=size={size}:rate={rate}:rule=110:random_fill_ratio=0.5:seed=1",
        "0.3*sin(2*PI*t*(110+55*mod(floor(t*8),4)))",
    ),
    DemoTitle(
        "gradient-dreams",
        "Gradient Dreams",
        "Colours drift and melt into one another over a slow drone.",
        ("Romance", "Art"),
        "PG",
        "gradients=size={size}:rate={rate}:n=5:speed=0.02:c0=0x1f3a93:c1=0xe35d6a:c2=0xf2c14e"
        ":c3=0x5fad56:c4=0x8e44ad:x0=0:y0=0:x1=80:y1=45:seed=1",
        "0.2*sin(2*PI*110*t)+0.2*sin(2*PI*165*t)*sin(PI*t/3)",
    ),
    DemoTitle(
        "sierpinski",
        "Triangles All the Way Down",
        "A thriller in which every triangle hides three more.",
        ("Thriller",),
        "PG-13",
        "sierpinski=size={size}:rate={rate}:seed=1",
        melody(146.83, 1, 6, noise=0.08),
    ),
    DemoTitle(
        "zone-plate",
        "Zone Plate",
        "Rings of interference pulse toward the edge of the frame.",
        ("Horror",),
        "R",
        "zoneplate=size={size}:rate={rate}:kx2=300:ky2=300:kt2=4:kxt=50",
        "0.3*sin(2*PI*t*(60+40*sin(2*PI*t/5)))+0.1*(random(0)-0.5)",
    ),
    DemoTitle(
        "spectrum",
        "Full Spectrum",
        "Every colour the screen can show, turning slowly through the hues.",
        ("Family", "Art"),
        "G",
        "colorspectrum=size={size}:rate={rate},hue=h=t*15",
        melody(261.63, 4, 2),
    ),
    DemoTitle(
        "perlin",
        "Weather Front",
        "Clouds gather over an invented sky as the pressure falls.",
        ("Drama", "Nature"),
        "PG",
        "perlin=size={size}:rate={rate}:octaves=4:persistence=0.6:xscale=0.01:yscale=0.01:random_mode=seed:random_seed=1"
        ":tscale=0.3,format=yuv420p",
        "0.4*(random(0)-0.5)*(0.6+0.4*sin(2*PI*t/7))",
    ),
)


def catalog(count: int) -> tuple[DemoTitle, ...]:
    """The first ``count`` titles (the series' episodes come first)."""
    return CATALOG[: max(1, count)]


def spec_hash(titles: tuple[DemoTitle, ...], *, seconds: float, size: str) -> str:
    """A short hash of everything that shapes the generated sources."""
    spec = {
        "version": GENERATOR_VERSION,
        "seconds": seconds,
        "size": size,
        "titles": [asdict(t) for t in titles],
    }
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:12]


def length_of(title: DemoTitle, seconds: float) -> float:
    """Seconds of a title: episodes are long enough for intro and credits to stand out."""
    return max(seconds, EPISODE_MIN_S) if title.series else seconds


def audio_graph(title: DemoTitle, seconds: float) -> str:
    """The filtergraph making the title's soundtrack as ``[a]``."""
    if title.intro_at_s is None:
        return f"aevalsrc='{title.audio}':s=44100:d={seconds:g},aformat=channel_layouts=stereo[a]"
    before = title.intro_at_s
    middle = seconds - before - INTRO_S - CREDITS_S
    if middle <= 0:
        raise ValueError(f"{title.slug}: {seconds}s is too short for its intro and credits")
    parts = [
        f"aevalsrc='{title.audio}':s=44100:d={before:g}[p0]",
        f"aevalsrc='{INTRO_MELODY}':s=44100:d={INTRO_S:g}[p1]",
        f"aevalsrc='{title.audio}':s=44100:d={middle:g}[p2]",
        f"aevalsrc='{CREDITS_MELODY}':s=44100:d={CREDITS_S:g}[p3]",
        "[p0][p1][p2][p3]concat=n=4:v=0:a=1,aformat=channel_layouts=stereo[a]",
    ]
    return ";".join(parts)


def clip(title: DemoTitle, *, seconds: float, size: str) -> SyntheticClip:
    """What one title renders to: its picture and soundtrack as H.264/AAC in MP4."""
    return SyntheticClip(
        video=title.video.format(size=size, rate=RATE),
        audio=audio_graph(title, seconds),
        seconds=seconds,
        crf=23,
        preset="veryfast",
        gop_frames=RATE * 2,
        audio_kbps=96,
    )


def generate(
    binaries: Binaries, title: DemoTitle, *, folder: Path, seconds: float, size: str
) -> Path:
    """Render ``title`` into ``folder`` unless it is there already; return the file."""
    target = folder / f"{title.slug}.mp4"
    if target.exists():
        return target
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temp = folder / f".{title.slug}.partial.mp4"
    made = clip(title, seconds=length_of(title, seconds), size=size)
    argv = synthetic_argv(binaries.ffmpeg, made, out=temp)
    run(argv, cwd=folder, limits=Limits(cpu_s=600, wall_s=600))
    os.replace(temp, target)
    return target
