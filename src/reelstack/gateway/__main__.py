"""Run one gateway instance on the gateway's own HTTP protocol: ``python -m reelstack.gateway``.

The same as ``python -m reelstack.chassis.run`` with ``service.name=gateway``,
except that the app's ``server_options`` (the gateway's protocol class) are
passed to uvicorn. Once the chassis runner passes an app's
``server_options`` itself, this module is only a shorthand.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from reelstack.chassis import run, server


def main() -> int:
    """Run the instance; return the process exit code."""
    os.environ.setdefault("REELSTACK_SERVICE_NAME", "gateway")
    make_server = server.make_server

    def with_app_options(app: Any, *, grace_s: float, **overrides: Any) -> Any:
        options = {**getattr(app, "server_options", {}), **overrides}
        return make_server(app, grace_s=grace_s, **options)

    server.make_server = with_app_options
    return run.main()


if __name__ == "__main__":
    sys.exit(main())
