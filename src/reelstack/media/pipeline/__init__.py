"""The encoding pipeline: jobs on the event log, run by ``media-worker`` processes.

:mod:`.jobs` is the API the media service uses (through :mod:`.encoder`);
:mod:`.jobstore` and :mod:`.tables` keep jobs and their parts; :mod:`.tasks`
puts tasks on ``media.tasks``; :mod:`.steps` runs each task by its kind
(:mod:`.step_job`, :mod:`.step_part`, :mod:`.step_package`, sharing
:mod:`.stepctx`); :mod:`.staging` moves files between workers and the blob
store; :mod:`.worker` consumes the tasks, inside :mod:`.worker_app`.
"""
