"""A master playlist steered to edges: every variant once per edge, best edge first."""

from __future__ import annotations

from reelstack.playback.manifest import attributes, filtered_master
from tests.unit.playback.test_manifest import ANY, BASIC, FOLDER, MASTER, NOW, SIGNER

EDGES = ("http://e1.example:8001", "http://e2.example:8002")


def _steered(bases: tuple[str, ...] = EDGES) -> list[str]:
    out = filtered_master(
        MASTER, folder=FOLDER, plan=BASIC, device=ANY, signer=SIGNER, expires=NOW + 600, bases=bases
    )
    return out.splitlines()


def test_each_variant_is_listed_once_per_edge_in_rank_order_with_the_same_attributes() -> None:
    lines = _steered()
    pairs = [(lines[i], lines[i + 1]) for i, line in enumerate(lines) if "STREAM-INF" in line]
    assert [uri.split("/media/s/")[0] for _, uri in pairs] == [EDGES[0]] * 3 + [EDGES[1]] * 3
    first, second = pairs[:3], pairs[3:]
    for (tag1, uri1), (tag2, uri2) in zip(first, second, strict=True):
        a1, a2 = attributes(tag1), attributes(tag2)
        # Redundant streams: the same stream, only the server and the groups differ.
        assert {k: v for k, v in a1.items() if k not in ("AUDIO", "SUBTITLES")} == {
            k: v for k, v in a2.items() if k not in ("AUDIO", "SUBTITLES")
        }
        assert (a1["AUDIO"], a2["AUDIO"]) == ("audio", "audio-e1")
        # The same signed path: one token works on every edge.
        assert uri1.removeprefix(EDGES[0]) == uri2.removeprefix(EDGES[1])


def test_each_edge_has_its_own_audio_and_subtitle_groups_on_its_own_urls() -> None:
    media = [attributes(line) for line in _steered() if line.startswith("#EXT-X-MEDIA:")]
    assert [(m["GROUP-ID"], m["URI"].split("/media/s/")[0]) for m in media] == [
        ("audio", EDGES[0]),
        ("subs", EDGES[0]),
        ("audio-e1", EDGES[1]),
        ("subs-e1", EDGES[1]),
    ]
    assert all(m["TYPE"] in ("AUDIO", "SUBTITLES") for m in media)


def test_without_edges_the_playlist_stays_on_the_gateway() -> None:
    lines = _steered(("",))
    uris = [line for line in lines if line and not line.startswith("#")]
    assert len(uris) == 3 and all(u.startswith("/media/s/") for u in uris)
    assert sum(line.startswith("#EXTM3U") for line in lines) == 1
