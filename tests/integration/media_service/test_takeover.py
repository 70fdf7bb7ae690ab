"""Another instance finishes what one left half done."""

from __future__ import annotations

import base64

import httpx

from reelstack.bootstrap import bootstrap
from reelstack.media import ingest, repository
from reelstack.media.context import MediaContext, source_key
from reelstack.media.models import TitleState
from tests.integration.media.conftest import ClipMaker

from .conftest import FakeEncoder

TUS = {"Tus-Resumable": "1.0.0"}


async def test_a_title_whose_upload_was_handed_over_is_processed_from_its_kept_source(
    start_media, clips: ClipMaker
) -> None:
    # The instance that took the upload does no processing (it "dies" after).
    server = start_media(sweep=False)
    data = clips.video("takeover.mp4", seconds=2).read_bytes()
    async with httpx.AsyncClient() as client:
        made = await client.post(
            f"{server.url}/api/media/uploads",
            headers={
                **TUS,
                "Upload-Length": str(len(data)),
                "Upload-Metadata": f"title {base64.b64encode(b'Taken over').decode()}",
                "Content-Type": "application/offset+octet-stream",
            },
            content=data,
        )
        title_id = made.headers["Reelstack-Title-Id"]
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
        # As left by an instance that died after keeping the source and
        # removing the upload, before submitting the job.
        upload_id = made.headers["Location"].rsplit("/", 1)[1]
        await adapters.blob.put(source_key(title_id), data)

        async def half_done(session):  # type: ignore[no-untyped-def]
            return await repository.set_fields(
                session, title_id, state=TitleState.VALIDATING, source_key=source_key(title_id)
            )

        await adapters.sql.transaction(half_done)
        ctx.uploads.delete(upload_id)

        title = await ingest.process(ctx, title_id)
        assert title.state is TitleState.ENCODING
        assert encoder.submitted[0]["source_key"] == source_key(title_id)
        assert title.poster_key is not None and title.trickplay_key is not None
    finally:
        await adapters.close()
