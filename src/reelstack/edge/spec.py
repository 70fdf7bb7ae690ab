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
    # Viewers reach edges directly (the serving listener), not through the
    # gateway: no gateway routes.
    deploy=Deploy(public_port=8600, calls=("recommendations",)),
)
