"""What a title gets beside its ladder: seek previews, artwork, intro and credits markers.

:mod:`.trickplay` makes thumbnail sprite sheets and their WebVTT track;
:mod:`.artwork` picks a representative frame for the poster and backdrop;
:mod:`.intro` finds the intro and credits a season's episodes share, from
audio fingerprints; :mod:`.stills` holds what the first two share. Depends
only on :mod:`reelstack.media.ffmpeg`.
"""
