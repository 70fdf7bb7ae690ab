"""Play starts through the gateway on the embedded stack, at a fixed 50/s, against a memory anchor.

``reelstack up`` runs a local cluster (temporary home, free ports, embedded
stores) with playback added through ``services.extra``, and, in the same
cluster, an anchor service that answers the same ``POST .../plays`` from
memory after parsing the same body. Where no catalog service is installed
yet, a stand-in answers catalog's read contract from memory too.

The viewer is real: an account signed up through the gateway, on the
Premium plan, with a profile, and an access token for that profile. The
title is a ready title as media's pipeline leaves it: its row in media's
table and its published files in the blob store (no encode is run).

Each round sends ``RATE`` play starts per second for ``DURATION_S`` with
``bench/loadgen.py`` (an open loop: latency without coordinated omission),
all for one device, so each start ends the device's previous play and
takes a new lease (the whole write path every time), first to playback,
then to the anchor. A play start costs playback four calls in parallel
(catalog, identity, media, history), one write transaction and, the first
time, a read of the master playlist.

Printed: play starts/s answered 2xx and the p99 of a play start, each beside
the anchor's, medians over ``ROUNDS``; every round's figures go to stderr.
The cluster runs one instance of every service (``REELSTACK_CLUSTER_INSTANCES``
sets another count): the embedded stack is one SQLite file on one machine,
and on two cores a second instance of each service adds some twenty
processes and their background rounds but no capacity (measured: p99 about
100 ms with two of each, the two cores then more than half busy). Target:
p99 <= 50 ms on this 2-core machine. The load average is printed to stderr before and after: the two
cores are shared with whatever else runs.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.common import Result, cli, header, report  # noqa: E402

RATE = float(os.environ.get("BENCH_PLAYBACK_RATE", "50"))
DURATION_S = float(os.environ.get("BENCH_PLAYBACK_DURATION_S", "10"))
ROUNDS = int(os.environ.get("BENCH_PLAYBACK_ROUNDS", "3"))
WARMUP_S = 3.0
UP_TIMEOUT_S = 300
TITLE = "benchfilm"
TARGET = "p99 <= 50 ms"
INSTANCES = os.environ.get("REELSTACK_CLUSTER_INSTANCES", "1")
MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Audio",DEFAULT=YES,AUTOSELECT=YES,URI="a0/index.m3u8"
#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2",AUDIO="audio"
v0/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio"
v1/index.m3u8
#EXT-X-STREAM-INF:BANDWIDTH=6000000,RESOLUTION=1920x1080,CODECS="avc1.640028,mp4a.40.2",AUDIO="audio"
v2/index.m3u8
"""

# Services written into the temporary home's path and added via services.extra.
STANDINS = {
    "benchcatalog": {
        "__init__.py": '"""Catalog\'s read contract from memory (until catalog exists)."""\n',
        "spec.py": """
            from reelstack.chassis.spec import ServiceSpec

            SPEC = ServiceSpec(
                name="catalog",
                app="benchcatalog.app:create_app",
                routes=("/api/catalog;rewrite=/catalog",),
            )
        """,
        "app.py": """
            from typing import Any

            from fastapi import APIRouter, FastAPI, HTTPException

            from benchcatalog.spec import SPEC
            from reelstack.chassis.app import create_service_app
            from reelstack.config import Config

            TITLES = {"benchfilm": {"id": "benchfilm", "kind": "film", "name": "Bench",
                      "maturity_rating": "PG", "next_episode_id": None}}


            def create_app(config: Config) -> FastAPI:
                router = APIRouter(prefix="/catalog")

                @router.get("/titles/{title_id}")
                async def title(title_id: str) -> dict[str, Any]:
                    if title_id not in TITLES:
                        raise HTTPException(404, "no such title")
                    return TITLES[title_id]

                return create_service_app(config, spec=SPEC, routers=[router])
        """,
    },
    "benchanchor": {
        "__init__.py": '"""A play start answered from memory: the anchor."""\n',
        "spec.py": """
            from reelstack.chassis.spec import ServiceSpec

            SPEC = ServiceSpec(
                name="playanchor",
                app="benchanchor.app:create_app",
                routes=("/api/playanchor;rewrite=/playanchor;max_body=4096",),
            )
        """,
        "app.py": """
            from fastapi import APIRouter, FastAPI
            from starlette.responses import Response

            from benchanchor.spec import SPEC
            from reelstack.chassis.app import create_service_app
            from reelstack.chassis.responses import json_response
            from reelstack.config import Config
            from reelstack.playback.schemas import PlayIn

            ANSWER = {"play_id": "0" * 32, "lease_expires_at": "2026-12-06T00:00:00Z",
                      "heartbeat_s": 30, "manifest_url": "/api/playback/manifests/x",
                      "resume_s": 0.0, "intro": None, "credits_start_s": None,
                      "next_episode_id": None}


            def create_app(config: Config) -> FastAPI:
                router = APIRouter(prefix="/playanchor")

                @router.post("/plays", status_code=201)
                async def start(body: PlayIn) -> Response:
                    return json_response(ANSWER, 201)

                return create_service_app(config, spec=SPEC, routers=[router])
        """,
    },
}


def loadavg() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def write_standins(root: Path) -> list[str]:
    names = []
    for name, files in STANDINS.items():
        if name == "benchcatalog" and importlib.util.find_spec("reelstack.catalog"):
            continue  # the real catalog answers
        (root / name).mkdir(parents=True)
        for filename, text in files.items():
            (root / name / filename).write_text(textwrap.dedent(text).lstrip())
        names.append(name)
    return names


def call(base: str, method: str, path: str, body: Any = None, token: str = "") -> Any:
    request = urllib.request.Request(
        base + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Content-Type": "application/json"}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
    return json.loads(raw) if raw else None


def wait_for(base: str, method: str, path: str, body: Any, token: str) -> Any:
    """Call until the route answers (the gateway learns routes from the registry)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return call(base, method, path, body, token)
        except (urllib.error.HTTPError, urllib.error.URLError) as exc:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{method} {path} never answered: {exc}") from exc
            time.sleep(0.5)


def viewer_token(base: str) -> str:
    """An account on Premium with one profile; an access token for that profile."""
    email = f"bench-{os.getpid()}@example.com"
    password = "correct horse battery staple"
    wait_for(base, "POST", "/api/identity/accounts", {"email": email, "password": password}, "")
    tokens = call(base, "POST", "/api/identity/sessions", {"email": email, "password": password})
    access = tokens["access_token"]
    # The gateway verifies identity's tokens once it has fetched its keys.
    wait_for(base, "PUT", "/api/identity/accounts/me/plan", {"plan": "premium"}, access)
    profile = call(base, "POST", "/api/identity/profiles", {"name": "Bench"}, access)
    refreshed = call(
        base,
        "POST",
        "/api/identity/sessions/refresh",
        {"refresh_token": tokens["refresh_token"], "profile_id": profile["id"]},
    )
    return str(refreshed["access_token"])


async def publish_title(env: dict[str, str]) -> None:
    """A ready title, as media's pipeline leaves it, in the cluster's embedded stores."""
    from reelstack import settings
    from reelstack.bootstrap import bootstrap
    from reelstack.media import repository
    from reelstack.media.models import TitleMeta, TitleState

    config = settings.load(environ=env)
    adapters = bootstrap(config)
    await adapters.sql.open()
    await adapters.blob.open()
    try:

        async def work(session: Any) -> None:
            await repository.create(
                session, title_id=TITLE, meta=TitleMeta(name="Bench"), state=TitleState.READY
            )
            await repository.set_fields(
                session, TITLE, master_url=f"/media/{TITLE}/j1/master.m3u8", duration_s=600.0
            )

        await adapters.sql.transaction(work)
        await adapters.blob.put(f"media/{TITLE}/j1/master.m3u8", MASTER.encode())
    finally:
        await adapters.sql.close()
        await adapters.blob.close()


def load(url: str, token: str, body: Path, seconds: float) -> dict[str, Any]:
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.loadgen",
            url,
            str(RATE),
            str(seconds),
            f"Authorization: Bearer {token}",
            f"@{body}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main() -> None:
    header()
    with tempfile.TemporaryDirectory(prefix="bench-playback-") as raw:
        tmp = Path(raw)
        # services.extra names each package once, so this holds once playback is built in.
        extra = ["reelstack.playback", *write_standins(tmp / "services")]
        note(f"catalog: {'a stand-in from memory' if 'benchcatalog' in extra else 'the real one'}")
        home = tmp / "home"
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [*filter(None, [os.environ.get("PYTHONPATH")]), str(tmp / "services"), str(ROOT)]
            ),
            "REELSTACK_HOME": str(home),
            "REELSTACK_CLUSTER_CONTROL_PORT": "0",
            "REELSTACK_GATEWAY_PORT": "0",
            "REELSTACK_CLUSTER_REGISTRY_PORTS": "0,0",
            "REELSTACK_SERVICES_EXTRA": ",".join(extra),
            "REELSTACK_CLUSTER_INSTANCES": INSTANCES,
        }
        sys.path.insert(0, str(tmp / "services"))
        note(f"load average before: {loadavg()}")
        cli(env, "up", "--timeout", str(UP_TIMEOUT_S), timeout=UP_TIMEOUT_S + 30)
        try:
            views = json.loads(cli(env, "status", "--json"))
            gateway = next(v for v in views if v["service"] == "gateway")
            base = f"http://{gateway['host']}:{gateway['port']}"
            asyncio.run(publish_title(env))
            token = viewer_token(base)
            body = tmp / "play.json"
            body.write_text(json.dumps({"title_id": TITLE, "device": {"id": "tv", "name": "TV"}}))
            play = json.loads(body.read_text())
            wait_for(base, "POST", "/api/playback/plays", play, token)
            wait_for(base, "POST", "/api/playanchor/plays", play, token)
            targets = {
                "playback": f"{base}/api/playback/plays",
                "anchor": f"{base}/api/playanchor/plays",
            }
            for url in targets.values():
                load(url, token, body, WARMUP_S)
            runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            for _ in range(ROUNDS):
                for name, url in targets.items():
                    runs[name].append(load(url, token, body, DURATION_S))
            # Why play starts failed, if they did: the answer to one more.
            try:
                call(base, "POST", "/api/playback/plays", play, token)
            except urllib.error.HTTPError as exc:
                note(f"a play start after the rounds: {exc.code} {exc.read()[:300]!r}")
        finally:
            cli(env, "down", timeout=120)
        note(f"load average after: {loadavg()}")
    for name, results in runs.items():
        for result in results:
            note(f"{name}: {json.dumps(result)}")

    def median(name: str, key: str) -> float:
        return statistics.median(float(r[key]) for r in runs[name])

    def ok_rate(name: str) -> float:
        return statistics.median((r["answered"] - r["non_2xx"]) / DURATION_S for r in runs[name])

    report(
        Result(
            f"play start p99 via gateway at {RATE:g}/s, {INSTANCES} instance(s) each",
            median("playback", "p99_ms"),
            "ms",
            "memory answer p99",
            median("anchor", "p99_ms"),
            TARGET,
        )
    )
    report(
        Result(
            f"play start p50 via gateway at {RATE:g}/s",
            median("playback", "p50_ms"),
            "ms",
            "memory answer p50",
            median("anchor", "p50_ms"),
        )
    )
    report(
        Result(
            "play starts answered 2xx",
            ok_rate("playback"),
            "starts/s",
            "memory answers 2xx",
            ok_rate("anchor"),
            f"= {RATE:g}/s offered",
        )
    )


if __name__ == "__main__":
    main()
