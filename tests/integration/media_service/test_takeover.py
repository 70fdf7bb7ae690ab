"""Another instance finishes what one left half done."""

from __future__ import annotations

import base64
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from sqlalchemy import select

from reelstack.bootstrap import Adapters, bootstrap
from reelstack.media import repository
from reelstack.media.context import MediaContext, source_key
from reelstack.media.ingest import sweeper as ingest
from reelstack.media.models import TitleState
from tests.integration.media.conftest import ClipMaker

from .conftest import FakeEncoder

TUS = {"Tus-Resumable": "1.0.0"}


async def _upload_whole(url: str, data: bytes, name: bytes) -> httpx.Response:
    """Create a title with all of its bytes in one tus request (no processing follows)."""
    async with httpx.AsyncClient() as client:
        return await client.post(
            f"{url}/api/media/uploads",
            headers={
                **TUS,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": f"title {base64.b64encode(name).decode()}",
                "Content-Type": "application/offset+octet-stream",
            },
            content=data,
        )


@dataclass
class LeftBehind:
    """A title an instance took the upload of, kept the source of and died."""

    title_id: str
    adapters: Adapters
    ctx: MediaContext  # another instance's
    encoder: FakeEncoder


@contextlib.asynccontextmanager
async def _left_behind(start_media, clips: ClipMaker, name: str) -> AsyncIterator[LeftBehind]:  # type: ignore[no-untyped-def]
    """Upload a title to an instance that does no processing ("dies" after keeping
    the source and removing the upload); yield another instance's view of it."""
    server = start_media(sweep=False)
    data = clips.video(f"{name}.mp4", seconds=2).read_bytes()
    made = await _upload_whole(server.url, data, name.encode())
    title_id = made.headers["Reelstack-Title-Id"]
    async with httpx.AsyncClient() as client:
        answer = await client.get(f"{server.url}/api/media/titles/{title_id}")
        assert answer.json()["state"] == "uploaded"

    config = server.app.state.chassis.config
    adapters = bootstrap(config)
    await adapters.open(["sql", "blob"])
    try:
        encoder = FakeEncoder()
        ctx = MediaContext.build(
            config, db=adapters.sql, blob=adapters.blob, encoder=encoder, owner="other"
        )
        await adapters.blob.put(source_key(title_id), data)
        ctx.uploads.delete(made.headers["Location"].rsplit("/", 1)[1])
        yield LeftBehind(title_id, adapters, ctx, encoder)
    finally:
        await adapters.close()


async def test_a_title_whose_upload_was_handed_over_is_processed_from_its_kept_source(
    start_media, clips: ClipMaker
) -> None:
    async with _left_behind(start_media, clips, "takeover") as left:
        title_id, ctx, encoder = left.title_id, left.ctx, left.encoder

        # As left by an instance that died after keeping the source and
        # removing the upload, before submitting the job.
        async def half_done(session):  # type: ignore[no-untyped-def]
            return await repository.set_fields(
                session, title_id, state=TitleState.VALIDATING, source_key=source_key(title_id)
            )

        await left.adapters.sql.transaction(half_done)

        title = await ingest.process(ctx, title_id)
        assert title.state is TitleState.ENCODING
        assert encoder.submitted[0]["source_key"] == source_key(title_id)
        assert title.poster_key is not None and title.trickplay_key is not None
        assert await _extras_at(left.adapters, title_id) is not None

        # Died again after submitting, before the job was recorded: the next
        # instance gets the same job back, not a second encode.
        async def before_recording(session):  # type: ignore[no-untyped-def]
            return await repository.set_fields(
                session, title_id, state=TitleState.VALIDATING, job_id=None
            )

        await left.adapters.sql.transaction(before_recording)
        again = await ingest.process(ctx, title_id)
        assert again.state is TitleState.ENCODING and again.job_id == title.job_id
        assert [s["job_id"] for s in encoder.submitted] == [title.job_id, title.job_id]
        assert len(encoder.jobs) == 1


async def _extras_at(adapters, title_id: str):  # type: ignore[no-untyped-def]
    async with adapters.sql.session() as session:
        row = await session.execute(
            select(repository.titles.c.extras_at).where(repository.titles.c.id == title_id)
        )
        return row.scalar_one()


async def test_extras_an_instance_died_making_are_made_by_another(
    start_media, clips: ClipMaker
) -> None:
    async with _left_behind(start_media, clips, "extras") as left:
        title_id, ctx, adapters = left.title_id, left.ctx, left.adapters

        # As left by an instance that submitted the job and died making the
        # extras: the source is kept, the title encodes, nothing else is there.
        def dead(until: float):  # type: ignore[no-untyped-def]
            async def work(session):  # type: ignore[no-untyped-def]
                return await repository.set_fields(
                    session,
                    title_id,
                    state=TitleState.ENCODING,
                    source_key=source_key(title_id),
                    job_id="job-of-the-dead",
                    claimed_by="dead-instance",
                    claimed_until=until,
                )

            return work

        # While the lease runs, the title is somebody's: nothing is done.
        await adapters.sql.transaction(dead(time.time() + 60))
        await ingest.sweep(ctx)
        held = await ingest._get(ctx, title_id)
        assert held.trickplay_key is None and held.poster_key is None
        assert await _extras_at(adapters, title_id) is None

        # Once it is out, the next sweep makes them from the kept source.
        await adapters.sql.transaction(dead(time.time() - 1))
        await ingest.sweep(ctx)
        title = await ingest._get(ctx, title_id)
        assert title.trickplay_key is not None
        assert title.poster_key is not None and title.backdrop_key is not None
        assert await _extras_at(adapters, title_id) is not None
        assert title.state is TitleState.ENCODING  # the job is the pipeline's business
