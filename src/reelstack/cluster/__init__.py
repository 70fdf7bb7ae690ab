"""The local cluster: a supervisor (the autoscaling group) and its control API.

``reelstack up`` starts :mod:`reelstack.cluster.daemon` as a detached process.
It runs every service in :data:`reelstack.services.SERVICES` as separate OS
processes spread over zones, restarts what dies, and answers a small JSON
control API on 127.0.0.1 (:mod:`reelstack.cluster.api`) that the CLI drives
through :mod:`reelstack.cluster.client`. Its state lives in ``<home>/cluster/``
and its logs in ``<home>/logs/``.
"""
