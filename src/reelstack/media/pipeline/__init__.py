"""The encoding pipeline: jobs on the event log, run by ``media-worker`` processes."""
