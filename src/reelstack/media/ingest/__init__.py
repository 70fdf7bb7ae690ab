"""Ingest: resumable uploads, and turning a finished upload into a title being encoded.

:mod:`.uploads` keeps partial uploads on a shared folder; :mod:`.tus` speaks
the tus protocol over it; :mod:`.sweeper` takes each finished upload through
validation to an encoding job (and marks titles ready when their job is
published), while :mod:`.extras` makes the trickplay track, the artwork and
the intro markers. Ingest works on the service's titles through the root's
context, repository and models, and hands encoding to the pipeline.
"""
