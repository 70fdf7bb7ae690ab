"""The edge node's spec."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, Listener, ServiceSpec

SPEC = ServiceSpec(
    name="edge",
    app="reelstack.edge.app:create_app",
    ports=("blob",),
    settings="reelstack.edge.settings",
    background=(
        "reelstack.edge.report:report_loop",
        "reelstack.edge.fill:fill_loop",
    ),
    # Viewers reach edges directly (the serving listener, edge.serve_port),
    # not through the gateway: no gateway routes. Deployments publish that
    # listener; the service port (status, fill, purge, metrics: no viewer
    # auth) stays internal. A local cluster's edges serve on 127.0.0.1.
    deploy=Deploy(
        calls=("recommendations",),
        listener=Listener(
            public_port=8600,
            port_setting="edge.serve_port",
            host_setting="edge.serve_host",
            url_setting="edge.public_url",
        ),
    ),
)
