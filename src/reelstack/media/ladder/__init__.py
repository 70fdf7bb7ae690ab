"""The encoding ladder: which sizes and bitrates a title is encoded at.

:mod:`.plan` holds the one rung type and Netflix's fixed ladder; :mod:`.select`
chooses a per-title ladder from measured trial points (pure functions);
:mod:`.trials` runs the trial encodes and VMAF measurements that feed it,
:mod:`.planner` picks fixed or per-title for a title; :mod:`.renditions` turns
a plan into the renditions encoded (H.264, AV1 beside it); :mod:`.curves` and
:mod:`.savings` compare per-title with fixed at equal VMAF. Depends on
:mod:`reelstack.media.ffmpeg` and :mod:`reelstack.media.source`.
"""
