"""The media service (``media``) and its encoding pipeline (``media-worker``).

By stage, each depending only on those before it:

- :mod:`.ffmpeg`: the safe ffmpeg/ffprobe wrapper; every argv is built there.
- :mod:`.source`: validating an upload, subtitle files.
- :mod:`.ladder`: which sizes and bitrates a title gets (fixed or per-title).
- :mod:`.packaging`: chunked encoding, CMAF segments, HLS and DASH manifests.
- :mod:`.extras`: trickplay, artwork, intro and credits detection.
- :mod:`.pipeline`: encoding jobs on the event log, run by ``media-worker``
  processes (its own service, with its own spec and settings).
- :mod:`.ingest`: tus uploads and the sweeper that takes them to a job.

The service itself is the root: ``app``, ``api``, ``schemas``, ``models``,
``repository``, ``service``, ``context``, ``spec`` and ``settings``.
"""

from __future__ import annotations
