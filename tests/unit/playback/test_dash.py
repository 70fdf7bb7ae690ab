"""A play's DASH manifest: the plan's representations, one signed BaseURL per edge, origin last."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import urljoin

import pytest

from reelstack.playback.dash import MPD_NS, filtered_mpd
from reelstack.playback.manifest import NoRenditionError
from reelstack.playback.models import Device, PlanLimits
from reelstack.signed_urls import SignatureError, UrlSigner

SIGNER = UrlSigner(b"k" * 32)
NOW = 1_800_000_000
FOLDER = "t1/j1"
BASIC = PlanLimits("basic", 1, 720)
PREMIUM = PlanLimits("premium", 4, None)
ANY = Device("d1", "TV")
EDGES = ("http://edge-a:8601", "http://edge-b:8602")
NS = {"d": MPD_NS}


def _rep(name: str, codec: str, width: int, height: int) -> str:
    return f"""<Representation id="{name}" codecs="{codec}" bandwidth="400000" width="{width}"
 height="{height}" sar="1:1"><SegmentTemplate timescale="1000" initialization="{name}/init.mp4"
 media="{name}/seg_$Number%05d$.m4s" startNumber="0"><SegmentTimeline><S d="4000" t="0" r="2" />
 </SegmentTimeline></SegmentTemplate></Representation>"""


# As media's packaging writes it (reelstack.media.packaging.playlists.dash_manifest).
MPD = f"""<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="{MPD_NS}" profiles="urn:mpeg:dash:profile:isoff-live:2011" type="static"
 mediaPresentationDuration="PT12.000S" minBufferTime="PT4.000S"><Period id="0" start="PT0S">
<AdaptationSet id="0" contentType="video" mimeType="video/mp4" maxWidth="1920" maxHeight="1080">
{_rep("v0", "avc1.42c00d", 640, 360)}{_rep("v1", "avc1.64001f", 1280, 720)}
{_rep("v2", "avc1.640028", 1920, 1080)}</AdaptationSet>
<AdaptationSet id="1" contentType="video" mimeType="video/mp4">
{_rep("v4", "av01.0.05M.08", 1280, 720)}</AdaptationSet>
<AdaptationSet id="2" contentType="audio" mimeType="audio/mp4" lang="en">
<Representation id="a0" codecs="mp4a.40.2" bandwidth="128000"><SegmentTemplate timescale="48000"
 initialization="a0/init.mp4" media="a0/seg_$Number%05d$.m4s" startNumber="0"><SegmentTimeline>
<S d="192000" t="0" r="2" /></SegmentTimeline></SegmentTemplate>
<AudioChannelConfiguration schemeIdUri="urn:mpeg:dash:23003:3:audio_channel_configuration:2011"
 value="2" /></Representation></AdaptationSet>
<AdaptationSet id="3" contentType="text" mimeType="text/vtt" lang="fr">
<Role schemeIdUri="urn:mpeg:dash:role:2011" value="subtitle" />
<Representation id="subs-fr" bandwidth="256"><BaseURL>subs/fr/subtitles.vtt</BaseURL>
</Representation></AdaptationSet></Period></MPD>
"""


def _filtered(
    plan: PlanLimits = PREMIUM, device: Device = ANY, bases: tuple[str, ...] = EDGES
) -> ET.Element:
    text = filtered_mpd(
        MPD, folder=FOLDER, plan=plan, device=device, signer=SIGNER, expires=NOW + 600, bases=bases
    )
    return ET.fromstring(text)


def _reps(root: ET.Element) -> dict[str, list[str]]:
    return {
        rep.get("id", ""): [b.text or "" for b in rep.findall("d:BaseURL", NS)]
        for rep in root.iterfind(".//d:Representation", NS)
    }


def test_each_representation_lists_the_edges_in_rank_order_then_the_origin() -> None:
    reps = _reps(_filtered())
    assert list(reps) == ["v0", "v1", "v2", "v4", "a0", "subs-fr"]
    for urls in reps.values():
        assert [u.split("/media/s/")[0] for u in urls] == [*EDGES, ""]
        # The same signed path on every base: the edges verify it with the same key.
        assert len({u.split("/media/s/")[1] for u in urls}) == 1


def test_segment_templates_resolve_under_a_token_of_their_own_folder() -> None:
    root = _filtered()
    rep = root.find(".//d:Representation[@id='v1']", NS)
    assert rep is not None
    base = rep.findall("d:BaseURL", NS)[0].text or ""
    template = rep.find("d:SegmentTemplate", NS)
    assert template is not None
    init = urljoin(base, template.get("initialization", ""))
    segment = urljoin(base, template.get("media", "").replace("$Number%05d$", "00001"))
    assert init.startswith("http://edge-a:8601/media/s/")
    for url in (init, segment):
        token, path = url.split("/media/s/")[1].split("/", 1)
        SIGNER.verify(token, path, now=NOW)
    # The token covers v1's folder only: the audio or a taller rung is refused.
    token = init.split("/media/s/")[1].split("/", 1)[0]
    for other in ("t1/j1/a0/init.mp4", "t1/j1/v2/init.mp4", "t1/j1/manifest.mpd"):
        with pytest.raises(SignatureError):
            SIGNER.verify(token, other, now=NOW)


def test_base_url_comes_before_the_segment_template_as_the_schema_orders_them() -> None:
    for rep in _filtered().iterfind(".//d:Representation", NS):
        names = [child.tag.rsplit("}", 1)[1] for child in rep]
        if "SegmentTemplate" in names:
            assert names.index("BaseURL") < names.index("SegmentTemplate")
            assert names.count("BaseURL") == 3


def test_a_subtitle_file_is_signed_as_a_file_url() -> None:
    urls = _reps(_filtered())["subs-fr"]
    token, path = urls[0].split("/media/s/")[1].split("/", 1)
    assert path == "t1/j1/subs/fr/subtitles.vtt"
    SIGNER.verify(token, path, now=NOW)


def test_the_plan_and_device_drop_representations_and_empty_sets() -> None:
    basic = _reps(_filtered(BASIC))
    assert [r for r in basic if r.startswith("v")] == ["v0", "v1", "v4"]
    avc_only = _filtered(device=Device("d1", "Old TV", codecs=frozenset({"avc1"})))
    assert "v4" not in _reps(avc_only)
    assert len(avc_only.findall(".//d:AdaptationSet", NS)) == 3
    with pytest.raises(NoRenditionError):
        _filtered(device=Device("d1", "Watch", max_height=144))


def test_without_edges_the_origin_alone_is_listed_once() -> None:
    for urls in _reps(_filtered(bases=())).values():
        assert len(urls) == 1 and urls[0].startswith("/media/s/")


def test_addresses_outside_the_folder_are_dropped_not_signed() -> None:
    hostile = MPD.replace('initialization="v0/init.mp4"', 'initialization="../../x/init.mp4"')
    hostile = hostile.replace(">subs/fr/subtitles.vtt<", ">http://evil/sub.vtt<")
    reps = _reps(
        ET.fromstring(
            filtered_mpd(
                hostile, folder=FOLDER, plan=PREMIUM, device=ANY, signer=SIGNER, expires=NOW
            )
        )
    )
    assert "v0" not in reps and "subs-fr" not in reps and "v1" in reps


def test_a_base_url_above_the_representations_is_removed() -> None:
    moved = MPD.replace('<Period id="0" start="PT0S">', "<BaseURL>http://evil/</BaseURL><Period>")
    root = _filtered(bases=())
    assert root.find("d:BaseURL", NS) is None
    root = ET.fromstring(
        filtered_mpd(moved, folder=FOLDER, plan=PREMIUM, device=ANY, signer=SIGNER, expires=NOW)
    )
    assert root.find("d:BaseURL", NS) is None


def test_text_that_is_not_an_mpd_is_refused() -> None:
    for text in ("#EXTM3U\n", "<html/>", f'<MPD xmlns="{MPD_NS}"><Period/></MPD>'):
        with pytest.raises((ValueError, NoRenditionError)):
            filtered_mpd(text, folder=FOLDER, plan=PREMIUM, device=ANY, signer=SIGNER, expires=NOW)
