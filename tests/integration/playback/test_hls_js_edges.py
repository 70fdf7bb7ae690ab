"""The web app's hls.js reads a steered master playlist as one pathway per edge, in rank order.

hls.js (1.5 and later) gives redundant variant streams implicit Content
Steering pathways (``.``, ``..``, ...) in playlist order and fails over
between them; each pathway keeps its own audio group, so the audio moves
with the video.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from reelstack.playback.manifest import filtered_master
from reelstack.signed_urls import UrlSigner
from tests.support.binaries import need_hls_js
from tests.unit.playback.test_manifest import ANY, BASIC, MASTER

SCRIPT = Path(__file__).resolve().parents[2] / "support" / "hls_js_pathways.mjs"
EDGES = ("http://e1.example:8001", "http://e2.example:8002")


def test_hls_js_sees_one_pathway_per_edge_with_its_own_audio() -> None:
    node, hls_js = need_hls_js()
    master = filtered_master(
        MASTER,
        folder="t1/j1",
        plan=BASIC,
        device=ANY,
        signer=UrlSigner(b"h" * 32),
        expires=2**40,
        bases=EDGES,
    )
    done = subprocess.run(
        [node, str(SCRIPT), str(hls_js)],
        input=master,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    parsed = json.loads(done.stdout)
    assert parsed["pathways"] == [".", ".."]
    # The current pathway's levels: the best edge's three variants.
    assert [level["pathway"] for level in parsed["levels"]] == ["."] * 3
    assert all(level["url"].startswith(EDGES[0] + "/media/s/") for level in parsed["levels"])
    audio = [(track["group"], track["url"].split("/media/s/")[0]) for track in parsed["audio"]]
    assert audio == [("audio", EDGES[0]), ("audio-e1", EDGES[1])]
