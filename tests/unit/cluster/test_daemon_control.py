"""The supervisor daemon serves its control API with the home's token (no instances)."""

from __future__ import annotations

import asyncio
import signal
import socket
from pathlib import Path

import httpx
import pytest

from reelstack import settings
from reelstack.cluster import auth, daemon, statefile
from reelstack.cluster.client import ControlClient
from reelstack.cluster.supervisor import ClusterPlan
from reelstack.errors import ReelstackError
from tests.support.wait import eventually


async def test_the_daemon_makes_the_token_before_naming_its_port(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = settings.load(
        environ={
            "REELSTACK_HOME": str(home),
            "REELSTACK_CLUSTER_FORK": "0",
            "REELSTACK_CLUSTER_SPARES": "0",
        }
    )
    plan = ClusterPlan(services={}, zones=("a",), primary_version="v1")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    lock = statefile.SupervisorLock(home)
    assert lock.acquire()
    served = asyncio.create_task(daemon.serve(config, plan, home, sock))
    try:
        await eventually(lambda: statefile.read(home) is not None, "the state file")
        record = statefile.read(home)
        assert record is not None
        assert auth.token_path(home).stat().st_mode & 0o777 == 0o600

        def call_with_the_token() -> dict[str, object]:
            client = ControlClient.for_home(home)
            assert client is not None
            with client:
                return client.health()

        assert (await asyncio.to_thread(call_with_the_token))["status"] == "up"
        async with httpx.AsyncClient() as plain:
            response = await plain.get(record.control_url + "/health")
        assert response.status_code == 401

        def shutdown_without_the_token() -> None:
            with ControlClient(record.control_url, None) as client:
                client.shutdown()

        with pytest.raises(ReelstackError, match=r"control\.token"):
            await asyncio.to_thread(shutdown_without_the_token)
        assert not served.done()

        def shutdown() -> None:
            with ControlClient.of(record) as client:
                client.shutdown()

        await asyncio.to_thread(shutdown)
        assert await asyncio.wait_for(served, timeout=60) == daemon.EXIT_OK
    finally:
        if not served.done():
            served.cancel()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # serve() installs its own; give the test process its defaults back.
            loop.remove_signal_handler(sig)
        sock.close()
        lock.release()
