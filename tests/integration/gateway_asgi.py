"""The gateway under a plain ASGI server: ``python -m tests.integration.gateway_asgi``.

Settings from the environment, as for ``python -m reelstack.chassis.run``;
uvicorn serves the app with its own HTTP protocol, because it knows nothing
of the app's ``server_options`` (the chassis runner applies them). This is
how any ASGI server would run the gateway.
"""

from __future__ import annotations

import uvicorn

from reelstack import settings
from reelstack.gateway.app import create_app


def main() -> None:
    config = settings.load()
    uvicorn.run(
        create_app(config),
        host="127.0.0.1",
        port=config.get(settings.SERVICE_PORT),
        http="h11",
        lifespan="on",
        log_config=None,
    )


if __name__ == "__main__":
    main()
