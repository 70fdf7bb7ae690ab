"""How long a newcomer waits: from a fresh clone to the first playable title, and the catalog.

``make demo-timing`` clones this repository into a temporary folder and runs
what a newcomer runs, with empty uv, pip and npm caches (``--warm-caches``
uses the machine's) and a fresh home, timing each phase:

1. ``make setup``: the installs (uv, the locked environment, the web app's
   and the router's npm packages);
2. ``make demo`` until it returns: the cluster up and the first demo title
   playable (the figure the README states);
3. until every demo title is ready: the background filler's work.

It stops the cluster and removes the folder afterwards (``--keep`` keeps it).
The cluster listens on free ports, so a cluster already running here is not
disturbed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CATALOG_WAIT_S = 1800.0
SETTLED = ("ready", "refused", "failed")


def _run(argv: list[str], *, cwd: Path, env: dict[str, str], log: Path) -> float:
    """Run ``argv``, its output appended to ``log``; return the seconds it took."""
    started = time.monotonic()
    with log.open("ab") as out:
        done = subprocess.run(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    took = time.monotonic() - started
    if done.returncode != 0:
        tail = log.read_text(errors="replace").splitlines()[-30:]
        command = " ".join(argv)
        sys.exit(f"{command} failed ({done.returncode}); its last lines:\n" + "\n".join(tail))
    return took


def _titles(repo: Path, env: dict[str, str]) -> list[dict[str, object]]:
    out = subprocess.run(
        [str(repo / ".venv/bin/reelstack"), "titles", "list", "--json"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    titles: list[dict[str, object]] = json.loads(out.stdout)
    return titles


def main(argv: list[str] | None = None) -> int:
    """Time a fresh clone's ``make setup`` and ``make demo``; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--warm-caches", action="store_true", help="use the machine's caches")
    parser.add_argument("--keep", action="store_true", help="keep the clone and its home")
    args = parser.parse_args(argv)

    scratch = Path(tempfile.mkdtemp(prefix="reelstack-timing-"))
    repo, home, log = scratch / "repo", scratch / "home", scratch / "timing.log"
    env = {
        **os.environ,
        "REELSTACK_HOME": str(home),
        "REELSTACK_CLUSTER_CONTROL_PORT": "0",
        "REELSTACK_CLUSTER_REGISTRY_PORTS": "0,0",
        "REELSTACK_GATEWAY_PORT": "0",
    }
    if not args.warm_caches:
        env.update(
            UV_CACHE_DIR=str(scratch / "uv-cache"),
            npm_config_cache=str(scratch / "npm-cache"),
            PIP_NO_CACHE_DIR="1",
        )
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(repo)], check=True)
    figures: dict[str, float] = {}
    try:
        figures["make setup"] = _run(["make", "setup"], cwd=repo, env=env, log=log)
        figures["make demo (first title playable)"] = _run(
            ["make", "demo"], cwd=repo, env=env, log=log
        )
        ready = [t for t in _titles(repo, env) if t["state"] == "ready"]
        if not ready:
            sys.exit(f"make demo returned with no title ready; see {log}")
        started = time.monotonic()
        wanted = int(env.get("REELSTACK_MEDIA_DEMO_TITLES", "12"))
        while time.monotonic() - started < CATALOG_WAIT_S:
            titles = _titles(repo, env)
            if len(titles) >= wanted and all(t["state"] in SETTLED for t in titles):
                break
            time.sleep(2)
        else:
            sys.exit(f"the demo catalog was not encoded within {CATALOG_WAIT_S:.0f} s; see {log}")
        figures["the whole catalog after that"] = time.monotonic() - started
        not_ready = [t["name"] for t in titles if t["state"] != "ready"]
    finally:
        subprocess.run(
            [str(repo / ".venv/bin/reelstack"), "down"],
            cwd=repo,
            env=env,
            capture_output=True,
            check=False,
        )
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    caches = "the machine's caches" if args.warm_caches else "empty uv, pip and npm caches"
    print(f"fresh clone, {caches}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.2f} after")
    for phase, seconds in figures.items():
        print(f"  {phase:<36} {seconds:7.1f} s")
    if not_ready:
        print(f"  not ready: {', '.join(map(str, not_ready))}")
    if args.keep:
        print(f"kept {scratch}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
