"""An S3 API server for the blob store contract suite: moto's server.

No S3-compatible store is packaged for Debian 12 or published on PyPI as a
real server; moto (a development dependency) speaks the S3 REST API over
HTTP, including multipart uploads and ranged reads, and keeps objects in
memory. It is the stand-in for AWS S3, MinIO or Ceph in the contract tests.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import sys
import urllib.error
import urllib.request

from tools.engines.core import Context, EngineError, EngineState

PROC = "s3"


def _answers(endpoint: str) -> bool:
    try:
        with urllib.request.urlopen(endpoint + "/", timeout=2) as response:
            return int(response.status) < 500
    except urllib.error.HTTPError as exc:
        # Any HTTP answer (403 for an unsigned request, say) means it serves.
        return exc.code < 500
    except OSError:
        return False


class S3:
    """One moto S3 server; offers ``REELSTACK_TEST_S3`` (its endpoint URL)."""

    name = "s3"

    def install(self, ctx: Context) -> None:
        # Look without importing: moto takes seconds to import.
        missing = [m for m in ("moto", "flask", "werkzeug") if importlib.util.find_spec(m) is None]
        if missing:
            raise EngineError(
                f"s3: moto's server needs {', '.join(missing)}; install the development"
                " dependencies (moto[server])"
            )

    def start(self, ctx: Context) -> EngineState:
        port = ctx.free_port()
        endpoint = f"http://127.0.0.1:{port}"
        argv = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        process = ctx.spawn(PROC, argv, cwd=ctx.run_dir)
        ctx.wait_until(
            lambda: _answers(endpoint),
            what="s3 (moto) answering HTTP",
            timeout_s=60,
            processes=[process],
        )
        return EngineState(
            name=self.name,
            processes={PROC: process},
            env={"REELSTACK_TEST_S3": endpoint},
            extra={"endpoint": endpoint, "version": f"moto {importlib.metadata.version('moto')}"},
        )

    def ready(self, state: EngineState, proc_name: str) -> bool:
        return _answers(str(state.extra["endpoint"]))
