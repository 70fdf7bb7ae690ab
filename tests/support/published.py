"""Ready titles put straight into a cluster's embedded stores, as media's pipeline leaves them.

No encode is run: each title gets its row in media's table (state ready, a
master URL, a duration) and a one-variant master playlist in the blob store.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelstack import settings
from reelstack.bootstrap import bootstrap
from reelstack.media import repository
from reelstack.media.models import TitleMeta, TitleState

MASTER = """#EXTM3U
#EXT-X-VERSION:7
#EXT-X-STREAM-INF:BANDWIDTH=500000,RESOLUTION=640x360,CODECS="avc1.64001e,mp4a.40.2"
v0/index.m3u8
"""


async def publish_ready(
    environ: Mapping[str, str], titles: Mapping[str, TitleMeta], master: str = MASTER
) -> None:
    """Publish ``titles`` (id -> metadata) in the stores ``environ``'s settings name."""
    adapters = bootstrap(settings.load(environ=dict(environ)))
    await adapters.sql.open()
    await adapters.blob.open()
    try:
        for title_id, meta in titles.items():

            async def work(session: Any, title_id: str = title_id, meta: TitleMeta = meta) -> None:
                await repository.create(
                    session, title_id=title_id, meta=meta, state=TitleState.READY
                )
                await repository.set_fields(
                    session,
                    title_id,
                    master_url=f"/media/{title_id}/j1/master.m3u8",
                    duration_s=600.0,
                )

            await adapters.sql.transaction(work)
            await adapters.blob.put(f"media/{title_id}/j1/master.m3u8", master.encode())
    finally:
        await adapters.sql.close()
        await adapters.blob.close()
