"""The media worker's spec: takes encoding tasks from the event log."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec, Volume

SPEC = ServiceSpec(
    name="media-worker",
    app="reelstack.media.pipeline.worker_app:create_app",
    ports=("log", "sql", "blob"),
    settings="reelstack.media.pipeline.settings",
    background=("reelstack.media.pipeline.worker_app:take_tasks",),
    deploy=Deploy(
        volumes=(Volume("media-uploads", "media.upload_dir", "/var/lib/reelstack/uploads"),),
        # A stopping worker finishes the encoding task in hand first.
        stop_grace_s=120,
    ),
)
