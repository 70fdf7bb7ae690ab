"""A play's DASH manifest: media's MPD with what the plan and device may play, signed.

The DASH twin of :mod:`reelstack.playback.manifest`. Media publishes one
static MPD per clear title (``manifest.mpd`` beside the master playlist;
an encrypted title has none), its representations addressed relative to
the MPD: ``SegmentTemplate`` ``v0/init.mp4`` and ``v0/seg_$Number%05d$.m4s``,
a subtitle's ``BaseURL`` ``subs/en/en.vtt``.

Each kept representation gets one ``BaseURL`` per base (edges best first,
then the gateway's relative ``/media/s`` path, the origin), in that order:
DASH players treat several ``BaseURL`` elements as alternative locations of
the same files and move to the next when one fails (ISO/IEC 23009-1 5.6,
DVB-DASH 10.8; dash.js excludes a failing ``serviceLocation``). A segment
representation's ``BaseURL`` is ``BASE/media/s/TOKEN/TITLE/JOB/``, its token
covering ``TITLE/JOB/v0`` only, so media's relative templates resolve under
the token unchanged and the token signs that rendition's folder, as the
HLS one does. Representations above the plan or not decodable by the device
are dropped, so the MPD never names a file the viewer may not fetch.
"""

from __future__ import annotations

import logging
import posixpath
import xml.etree.ElementTree as ET

from reelstack.playback.manifest import NoRenditionError, allowed
from reelstack.playback.models import Device, PlanLimits
from reelstack.signed_urls import SIGNED_PREFIX, UrlSigner

log = logging.getLogger(__name__)

MPD_NS = "urn:mpeg:dash:schema:mpd:2011"
ORIGIN = ""
"""The origin's base: relative ``/media/s/...`` URLs, resolved against the MPD's (gateway) URL."""
_MAX_MPD_BYTES = 4 * 1024 * 1024
# Written as the default namespace, as media writes it (``tostring``'s
# ``default_namespace`` refuses unqualified attributes, so it cannot be used).
ET.register_namespace("", MPD_NS)
# What may follow a Representation's BaseURL in the schema's element order.
_AFTER_BASE = frozenset({"SubRepresentation", "SegmentBase", "SegmentList", "SegmentTemplate"})


def _q(name: str) -> str:
    return f"{{{MPD_NS}}}{name}"


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def filtered_mpd(
    text: str,
    *,
    folder: str,
    plan: PlanLimits,
    device: Device,
    signer: UrlSigner,
    expires: int,
    bases: tuple[str, ...] = (),
) -> str:
    """Return media's MPD ``text`` (published in ``folder``) for this plan and device.

    ``bases`` are the edges' public URLs, best first; the origin is always
    listed after them. NoRenditionError when no video representation is
    left; ValueError when ``text`` is not an MPD. A representation whose
    addresses leave ``folder`` (absolute, with a scheme or ``..``) is not
    media's layout: it is dropped rather than signed.
    """
    if len(text) > _MAX_MPD_BYTES:
        raise ValueError("the MPD is larger than any media writes")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ValueError(f"the MPD does not parse: {exc}") from None
    if root.tag != _q("MPD"):
        raise ValueError("not a DASH MPD")
    everywhere = (*[b for b in bases if b != ORIGIN], ORIGIN)
    # Locations above the representations would change what ours resolve against.
    for parent in root.iter():
        for child in list(parent):
            if child.tag == _q("BaseURL") and _local(parent.tag) != "Representation":
                parent.remove(child)
    videos = 0
    for period in root.findall(_q("Period")):
        for adaptation in period.findall(_q("AdaptationSet")):
            is_video = _is_video(adaptation)
            for rep in adaptation.findall(_q("Representation")):
                keep = not is_video or allowed(
                    _attributes(adaptation, rep), plan=plan, device=device
                )
                if keep and _locate(rep, everywhere, folder=folder, signer=signer, expires=expires):
                    videos += is_video
                else:
                    adaptation.remove(rep)
            kept = adaptation.findall(_q("Representation"))
            if not kept:
                period.remove(adaptation)
            for bound, size in (("maxWidth", "width"), ("maxHeight", "height")):
                sizes = [int(r.get(size, "")) for r in kept if r.get(size, "").isdigit()]
                if adaptation.get(bound) is not None and sizes:
                    adaptation.set(bound, str(max(sizes)))  # what is left, not what media had
    if not videos:
        raise NoRenditionError("no rendition of this title plays on this device within the plan")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _is_video(adaptation: ET.Element) -> bool:
    kind = adaptation.get("contentType") or adaptation.get("mimeType", "").partition("/")[0]
    return kind == "video"


def _attributes(adaptation: ET.Element, rep: ET.Element) -> dict[str, str]:
    """The representation's size and codecs as HLS attributes (inherited from its set if absent)."""
    width = rep.get("width") or adaptation.get("width") or adaptation.get("maxWidth", "")
    height = rep.get("height") or adaptation.get("height") or adaptation.get("maxHeight", "")
    codecs = rep.get("codecs") or adaptation.get("codecs") or ""
    return {"RESOLUTION": f"{width}x{height}", "CODECS": codecs}


def _relative(path: str) -> bool:
    return (
        bool(path) and not path.startswith("/") and ":" not in path and ".." not in path.split("/")
    )


def _locate(
    rep: ET.Element, bases: tuple[str, ...], *, folder: str, signer: UrlSigner, expires: int
) -> bool:
    """Give ``rep`` one signed BaseURL per base; False if its addresses are not media's layout."""
    template = rep.find(_q("SegmentTemplate"))
    old = rep.findall(_q("BaseURL"))
    if template is not None:
        paths = [template.get("initialization", ""), template.get("media", "")]
        folders = {posixpath.dirname(p) for p in paths}
        if old or not all(_relative(p) for p in paths) or len(folders) != 1 or "" in folders:
            return False
        # The token covers the rendition's folder; the URL stops at the job's,
        # so the templates (``v0/...``) resolve under the token as they are.
        token = signer.token(f"{folder}/{folders.pop()}", expires=expires)
        urls = [f"{base}{SIGNED_PREFIX}/{token}/{folder}/" for base in bases]
    elif len(old) == 1 and _relative(old[0].text or ""):
        # A side file addressed by its BaseURL (a subtitle): signed as a file URL.
        directory, name = posixpath.split((old[0].text or "").strip())
        if not directory or not name:
            return False
        signed = signer.url(f"{folder}/{directory}", name, expires=expires)
        urls = [base + signed for base in bases]
    else:
        return False
    for element in old:
        rep.remove(element)
    children = list(rep)
    at = next((i for i, c in enumerate(children) if _local(c.tag) in _AFTER_BASE), len(children))
    for rank, url in enumerate(urls):
        location = ET.Element(_q("BaseURL"), {"serviceLocation": _location(rank, len(urls))})
        location.text = url
        rep.insert(at + rank, location)
    return True


def _location(rank: int, count: int) -> str:
    """The ``serviceLocation`` of the base at ``rank`` (the last is the origin)."""
    return "origin" if rank == count - 1 else f"edge{rank}"
