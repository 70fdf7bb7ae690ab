"""An upload as a source: validated before any work, and its subtitle files.

:mod:`.validate` refuses bad uploads (container, codecs, size, decodability)
with a named reason and says how every later ffmpeg run opens the source;
:mod:`.subtitles` checks and converts subtitle files to WebVTT. Depends only
on :mod:`reelstack.media.ffmpeg`.
"""
