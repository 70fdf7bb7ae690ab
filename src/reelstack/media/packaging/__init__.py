"""Encoding a planned ladder and packaging it for players.

:mod:`.chunks` cuts a title into chunks of whole segments that workers encode
apart; :mod:`.encode` encodes one chunk into every rendition (and the audio
once); :mod:`.package` joins the chunks and cuts CMAF segments, reading them
back with :mod:`.mp4info` and writing HLS and DASH manifests with
:mod:`.playlists`; :mod:`.encryption` is HLS AES-128. Depends on
:mod:`reelstack.media.ffmpeg`, :mod:`reelstack.media.source` and
:mod:`reelstack.media.ladder`.
"""
