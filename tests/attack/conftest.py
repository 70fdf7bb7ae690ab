"""One cluster for the whole attack suite, its accounts, and the well-behaved client.

The cluster runs one instance per service with settings chosen so each attack
can be told apart from its defence in a few seconds and a few hundred
sockets (each line says why). Settings the running code does not know yet
are ignored with a warning, so the same cluster runs before and after the
gateway hardening lands.
"""

from __future__ import annotations

import resource
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.attack.client import PASSWORD, Addresses, WellBehaved, sign_in
from tests.e2e.conftest import UP_TIMEOUT_S, Cluster
from tests.support.wait import wait_until

# The bulkhead (requests in flight to one service through the gateway): small,
# so a few hundred stalled connections outnumber it several times over.
MAX_CONCURRENT = 64
# Connections one client address may hold: the attacker's hundreds of sockets
# are spread over many addresses, each under it, so what keeps the viewer
# served is late slot reservation, not this cap.
MAX_CONNECTIONS_PER_CLIENT = 32
# Short header deadline: slowloris connections are cut in seconds.
HEADER_TIMEOUT_S = 3
# Long enough that the stalled bodies are still held while the viewer's rounds
# run (the test checks they were), short enough to see them cut afterwards.
BODY_CHUNK_TIMEOUT_S = 30
# A proxy the gateway trusts to say who the client is (X-Forwarded-For).
TRUSTED_PROXY = "127.0.0.250"
# Unfinished uploads one account may have at once.
QUOTA_UPLOADS = 4
# The only network the gateway serves /metrics, /health and /ready to: the
# supervisor's checks come from 127.0.0.1; an attacker's other loopback
# addresses play the public internet.
INTERNAL_NETWORK = "127.0.0.1/32"
# Descriptors the test process may hold: several hundred attacker sockets
# plus the client's (the soft limit is 1024 on many systems).
FD_BUDGET = 4096


@dataclass(frozen=True)
class Accounts:
    """The emails of the suite's accounts (all with the same password)."""

    viewer: str = "viewer@attack.example"
    studio: str = "studio@attack.example"
    mallory: str = "mallory@attack.example"  # a studio account turned attacker


@dataclass
class Home:
    """The running cluster, where its gateway listens, and its static root."""

    cluster: Cluster
    gateway_port: int
    static_root: Path
    outside: Path  # a folder beside the static root, never to be served

    @property
    def gateway(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"


def _raise_fd_limit() -> None:
    # Only the soft limit is raised, never past the hard one.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = FD_BUDGET if hard == resource.RLIM_INFINITY else min(hard, FD_BUDGET)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _static_root(base: Path) -> tuple[Path, Path]:
    root = base / "static"
    outside = base / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "index.html").write_text("<!doctype html><title>reelstack</title>")
    (outside / "secret.txt").write_text("operator's secret beside the web app\n")
    # A symlinked folder leading out of the root (a deploy step that links a
    # shared assets folder, or a hostile archive unpacked into it).
    (root / "shared").symlink_to(outside, target_is_directory=True)
    return root, outside


@pytest.fixture(scope="session")
def home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Home]:
    """The suite's one cluster, up with every instance, stopped at the end."""
    _raise_fd_limit()
    base = tmp_path_factory.mktemp("attack")
    static_root, outside = _static_root(base)
    cluster = Cluster(base / "home")
    cluster.env.update(
        REELSTACK_CLUSTER_INSTANCES="1",
        REELSTACK_GATEWAY_MAX_CONCURRENT=str(MAX_CONCURRENT),
        REELSTACK_GATEWAY_MAX_CONNECTIONS_PER_CLIENT=str(MAX_CONNECTIONS_PER_CLIENT),
        REELSTACK_GATEWAY_HEADER_TIMEOUT_S=str(HEADER_TIMEOUT_S),
        REELSTACK_GATEWAY_BODY_CHUNK_TIMEOUT_S=str(BODY_CHUNK_TIMEOUT_S),
        REELSTACK_GATEWAY_TRUSTED_PROXIES=f"{TRUSTED_PROXY}/32",
        REELSTACK_GATEWAY_INTERNAL_NETWORKS=INTERNAL_NETWORK,
        REELSTACK_GATEWAY_STATIC_DIR=str(static_root),
        REELSTACK_MEDIA_QUOTA_UPLOADS=str(QUOTA_UPLOADS),
    )
    try:
        cluster.ok("up", "--timeout", str(UP_TIMEOUT_S))
        cluster.wait_all_up(within_s=UP_TIMEOUT_S)
        port = int(cluster.by_id()["gateway-a-1"]["port"])
        yield Home(cluster, port, static_root, outside)
    finally:
        cluster.destroy()


@pytest.fixture(scope="session")
def accounts(home: Home) -> Accounts:
    """A viewer, a studio and an attacking studio, signed up and given their roles."""
    made = Accounts()
    with httpx.Client(base_url=home.gateway, timeout=60) as client:

        def signed_up(email: str) -> bool:
            answer = client.post(
                "/api/identity/accounts", json={"email": email, "password": PASSWORD}
            )
            assert answer.status_code in (201, 503), answer.text  # 503: not routed yet
            return answer.status_code == 201

        wait_until(lambda: signed_up(made.viewer), "sign-up through the gateway")
        assert signed_up(made.studio) and signed_up(made.mallory)
        for email in (made.studio, made.mallory):
            home.cluster.ok("users", "set-role", email, "studio")
        token = sign_in(client, made.viewer)
        # The gateway reads identity's keys in the background: 401 until then.
        wait_until(
            lambda: client.get(
                "/api/identity/accounts/me", headers={"Authorization": f"Bearer {token}"}
            ),
            "the gateway accepting identity's tokens",
            done=lambda answer: answer.status_code == 200,
        )
    return made


@pytest.fixture(scope="session")
def good(home: Home, accounts: Accounts) -> WellBehaved:
    """The well-behaved client measured beside every attack."""
    return WellBehaved(home.gateway, viewer=accounts.viewer, studio=accounts.studio)


@pytest.fixture(scope="session")
def addresses() -> Addresses:
    """Fresh attacker source addresses."""
    return Addresses()
