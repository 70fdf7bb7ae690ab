"""The supervisor's health check: ``GET /health`` on an instance, with a short timeout."""

from __future__ import annotations

import logging

import aiohttp

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_S = 1.0


class HttpHealthCheck:
    """Checks that ``/health`` answers 200 for the expected instance id and pid.

    Checking the pid too means an instance is never reported up on the
    strength of another process that happens to answer on its port.
    """

    def __init__(self, session: aiohttp.ClientSession, timeout_s: float = HEALTH_TIMEOUT_S) -> None:
        self.session = session
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)

    @staticmethod
    def new_session() -> aiohttp.ClientSession:
        """Return a session for health checks.

        Without keep-alive: an idle pooled connection would make a stopping
        instance wait for it to close before it exits.
        """
        return aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True, limit=0))

    async def __call__(self, host: str, port: int, instance_id: str, pid: int) -> bool:
        url = f"http://{host}:{port}/health"
        try:
            async with self.session.get(url, timeout=self.timeout) as response:
                if response.status != 200:
                    return False
                body = await response.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return False
        return (
            isinstance(body, dict)
            and body.get("instance") == instance_id
            and body.get("pid") == pid
        )
