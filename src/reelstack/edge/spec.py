"""The edge node's spec."""

from __future__ import annotations

from reelstack.chassis.spec import Deploy, ServiceSpec

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
    # not through the gateway: no gateway routes. The deploy files do not
    # publish it yet (they publish one port per service, and the instance's
    # port here is management: status, fill, metrics); a local cluster's
    # edges serve on 127.0.0.1.
    deploy=Deploy(calls=("recommendations",)),
)
