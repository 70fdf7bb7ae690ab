"""Shared output for every benchmark: its figure beside its anchor, same run."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import asdict, dataclass

HEADER = "name, figure, unit, anchor, anchor figure, ratio, target"


@dataclass(frozen=True)
class Result:
    name: str
    figure: float
    unit: str
    anchor: str
    anchor_figure: float
    target: str = ""

    @property
    def ratio(self) -> float:
        return self.figure / self.anchor_figure if self.anchor_figure else float("nan")


def _num(value: float) -> str:
    """Small figures (milliseconds, ratios) keep two decimals, large ones one."""
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}"


def report(result: Result) -> None:
    """Print one benchmark line (and append it to BENCH_JSON if set)."""
    print(
        f"{result.name}, {_num(result.figure)}, {result.unit}, {result.anchor}, "
        f"{_num(result.anchor_figure)}, {result.ratio:.2f}, {result.target}",
        flush=True,
    )
    path = os.environ.get("BENCH_JSON")
    if path:
        with open(path, "a") as fh:
            fh.write(json.dumps(asdict(result) | {"ratio": result.ratio}) + "\n")


def header() -> None:
    """Print the column names, unless a runner printed them already."""
    if not os.environ.get("BENCH_NO_HEADER"):
        print(HEADER, file=sys.stdout, flush=True)


def cli(env: dict[str, str], *args: str, timeout: float = 60) -> str:
    """Run ``reelstack ARGS`` with ``env``; return its output (RuntimeError with it on failure)."""
    result = subprocess.run(
        [sys.executable, "-m", "reelstack.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"reelstack {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
    return result.stdout
