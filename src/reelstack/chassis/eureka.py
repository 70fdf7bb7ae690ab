"""The registry client: register, heartbeat, cancel, and a local copy of the registry.

What Eureka's ``DiscoveryClient`` does for a Spring service, for a reelstack
instance: it registers the instance (STARTING, then UP once the app has
started and its dependencies are open), renews the lease every renewal
interval (registering again when the registry answers 404, e.g. after a
registry restart), and cancels the registration on a graceful shutdown.

It also keeps a local copy of the whole registry: a full fetch first, then a
delta every fetch interval, checked against the registry's ``apps__hashcode``
(a mismatch means the copy drifted and the full registry is fetched again).
:meth:`EurekaClient.instances` answers from that copy, so callers never wait
for the registry and keep working while it is down. Each call tries the
registry URL that last answered, then the others, own zone first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

import aiohttp
import orjson

from reelstack import settings
from reelstack.chassis.client import http_session
from reelstack.chassis.discovery import InstanceInfo, Status
from reelstack.chassis.instance import InstanceIdentity
from reelstack.config import Config
from reelstack.errors import UnavailableError
from reelstack.registry_credentials import own_authorization

log = logging.getLogger(__name__)

STATUSES: frozenset[str] = frozenset({"UP", "DOWN", "STARTING", "OUT_OF_SERVICE", "UNKNOWN"})
JSON_HEADERS = {"Accept": "application/json"}
RETRY_FIRST_S = 0.25
# While the instance is STARTING, how often its status is checked so UP is
# registered promptly rather than at the next heartbeat.
STATUS_POLL_S = 0.5


def reconcile_hashcode(statuses: Sequence[str]) -> str:
    """Eureka's apps hashcode: ``STATUS_count_`` per status, sorted by status."""
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return "".join(f"{status}_{counts[status]}_" for status in sorted(counts))


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def instance_from_wire(app: str, wire: Mapping[str, Any]) -> InstanceInfo:
    """Return the InstanceInfo of one instance object of the registry's JSON.

    Raises ValueError (or KeyError/TypeError) if the object is not usable.
    """
    port: Any = wire.get("port")
    number = int(port["$"] if isinstance(port, Mapping) else port)
    raw_metadata = wire.get("metadata") or {}
    metadata = {str(k): str(v) for k, v in raw_metadata.items() if k != "@class"}
    status = str(wire.get("status", "UNKNOWN")).upper()
    return InstanceInfo(
        service=str(wire.get("app") or app).lower(),
        instance_id=str(wire.get("instanceId") or wire["hostName"]),
        host=str(wire.get("ipAddr") or wire["hostName"]),
        port=number,
        zone=metadata.get("zone", ""),
        version=metadata.get("version", ""),
        status=cast(Status, status if status in STATUSES else "UNKNOWN"),
        metadata=metadata,
    )


def _port_enabled(wire: Mapping[str, Any]) -> bool:
    port = wire.get("port")
    return not isinstance(port, Mapping) or str(port.get("@enabled", "true")).lower() == "true"


class LocalRegistry:
    """The local copy of the registry: every instance of every app, by id.

    A fetch builds the new copy aside and swaps it in whole, so a document
    that turns out unreadable halfway leaves the last good copy untouched.
    """

    def __init__(self) -> None:
        # app -> instance id -> (instance, whether its plain-HTTP port is enabled)
        self._apps: dict[str, dict[str, tuple[InstanceInfo, bool]]] = {}
        self._up: dict[str, tuple[InstanceInfo, ...]] = {}

    def _apply(self, document: Any, *, delta: bool) -> str:
        apps = document["applications"]
        copy = {name: dict(found) for name, found in self._apps.items()} if delta else {}
        for app in _as_list(apps.get("application")):
            name = str(app["name"]).lower()
            for wire in _as_list(app.get("instance")):
                info = instance_from_wire(name, wire)
                instances = copy.setdefault(info.service, {})
                if delta and wire.get("actionType") == "DELETED":
                    instances.pop(info.instance_id, None)
                else:
                    instances[info.instance_id] = (info, _port_enabled(wire))
        self._apps = {name: found for name, found in copy.items() if found}
        # Callers reach instances over plain HTTP: one whose port is disabled
        # is kept (it counts in the hashcode) but never offered.
        self._up = {
            name: tuple(i for i, enabled in found.values() if enabled and i.status == "UP")
            for name, found in self._apps.items()
        }
        return str(apps.get("apps__hashcode", ""))

    def replace(self, document: Any) -> None:
        """Replace the copy with a full registry document."""
        self._apply(document, delta=False)

    def apply_delta(self, document: Any) -> bool:
        """Apply a delta document; return whether the copy now matches the registry's hashcode."""
        remote = self._apply(document, delta=True)
        return remote == self.hashcode()

    def hashcode(self) -> str:
        """The reconcile hashcode of the copy."""
        return reconcile_hashcode(
            [i.status for found in self._apps.values() for i, _ in found.values()]
        )

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        """The UP instances of ``service``."""
        return self._up.get(service.lower(), ())

    def all(self) -> list[InstanceInfo]:
        """Every instance in the copy, whatever its status."""
        return [i for found in self._apps.values() for i, _ in found.values()]


class EurekaClient:
    """Registers this instance with the registry and keeps a local copy of it (a Discovery)."""

    def __init__(
        self,
        config: Config,
        identity: InstanceIdentity,
        session: aiohttp.ClientSession | None = None,
        *,
        status: Callable[[], str] | None = None,
    ) -> None:
        urls: tuple[tuple[str, str], ...] = config.get(settings.EUREKA_URLS)
        if not urls:
            raise ValueError("no registry URL: set eureka.urls")
        # Own zone first, then the others in the order given.
        ordered = sorted(urls, key=lambda entry: entry[0] != identity.zone)
        self.urls = [url for _, url in ordered]
        self.identity = identity
        self.app = identity.service.upper()
        # Registries refuse writes without this service's credential.
        self._auth = own_authorization(config, identity.service)
        self.should_register: bool = config.get(settings.EUREKA_REGISTER)
        self.should_fetch: bool = config.get(settings.EUREKA_FETCH)
        self.renewal_interval_s: float = config.get(settings.EUREKA_RENEWAL_INTERVAL_S)
        self.lease_duration_s: float = config.get(settings.EUREKA_LEASE_DURATION_S)
        self.fetch_interval_s: float = config.get(settings.EUREKA_FETCH_INTERVAL_S)
        self.timeout_s: float = config.get(settings.EUREKA_TIMEOUT_S)
        self._session = session
        self._owns_session = session is None
        self._status = status
        # Where this instance's /health, /ready and /metrics answer, when not
        # on its service port (the gateway's internal port): registered as
        # Spring Cloud does, in the health URLs and the management.port metadata.
        self.management_port: int | None = None
        self._started = False
        self.local = LocalRegistry()
        # Extra registration metadata a service adds before it starts (a
        # subgraph's GraphQL path: reelstack.chassis.subgraph); the chassis'
        # own keys (zone, version, management.port) win over these.
        self.metadata: dict[str, str] = {}
        self.registered_status: str | None = None
        self.dirty_ms = int(time.time() * 1000)
        self.fetched = False
        self.last_fetch_s = 0.0
        self._preferred = 0
        self.fetch_failures = 0
        self.heartbeat_failures = 0
        self._wake = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def current_url(self) -> str:
        """The registry URL tried first: the one that last answered."""
        return self.urls[self._preferred]

    # -- Discovery ---------------------------------------------------------------------

    def instances(self, service: str) -> Sequence[InstanceInfo]:
        """Return the UP instances of ``service`` from the local copy."""
        return self.local.instances(service)

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Start registering and fetching in the background (never blocks on the registry)."""
        if self._session is None:
            self._session = http_session(timeout_s=self.timeout_s)
        if self.should_register:
            self._tasks.append(asyncio.create_task(self._heartbeat_loop(), name="eureka-heartbeat"))
        if self.should_fetch:
            self._tasks.append(asyncio.create_task(self._fetch_loop(), name="eureka-fetch"))

    def mark_started(self) -> None:
        """Tell the client the app has started: its status may now become UP."""
        self._started = True
        self._wake.set()

    def status(self) -> str:
        """The status this instance reports now."""
        if not self._started:
            return "STARTING"
        return self._status() if self._status is not None else "UP"

    async def stop(self) -> None:
        """Stop the background work and cancel the registration."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        if self.registered_status is not None:
            try:
                # Bounded: a shutdown must not wait on registries that hang.
                await asyncio.wait_for(
                    self._call("DELETE", f"/apps/{self.app}/{self.identity.instance}"),
                    self.timeout_s,
                )
                log.info("cancelled the registration of %s", self.identity.instance)
            except (UnavailableError, TimeoutError) as exc:
                log.warning("cannot cancel the registration: %s", exc or "timed out")
            self.registered_status = None
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None

    # -- calls -----------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        params: Mapping[str, str] | None = None,
    ) -> tuple[int, bytes]:
        """Send to the registry that last answered, else each in turn; UnavailableError if none."""
        if self._session is None:
            raise RuntimeError("EurekaClient.start() was not called")
        errors = []
        count = len(self.urls)
        for step in range(count):
            index = (self._preferred + step) % count
            url = self.urls[index] + path
            try:
                async with self._session.request(
                    method,
                    url,
                    data=body,
                    params=params,
                    headers=self._headers(method, body is not None),
                ) as response:
                    data = await response.read()
                    if response.status >= 500:
                        raise UnavailableError(f"HTTP {response.status}")
            except (aiohttp.ClientError, OSError, TimeoutError, UnavailableError) as exc:
                errors.append(f"{self.urls[index]}: {type(exc).__name__}: {exc}")
                continue
            if index != self._preferred:
                log.info("registry %s answers; using it", self.urls[index])
                self._preferred = index
            return response.status, data
        raise UnavailableError("no registry answered: " + "; ".join(errors))

    def _headers(self, method: str, has_body: bool) -> dict[str, str]:
        headers = dict(JSON_HEADERS)
        if has_body:
            headers["Content-Type"] = "application/json"
        if method != "GET":
            headers["Authorization"] = self._auth
        return headers

    def instance_payload(self, status: str) -> dict[str, Any]:
        """This instance's registration, in Eureka's JSON shape."""
        i = self.identity
        host = i.reachable_host
        base = f"http://{host}:{i.port}"
        management_port = self.management_port or i.port
        management = f"http://{host}:{management_port}"
        now = str(int(time.time() * 1000))
        return {
            "instance": {
                "instanceId": i.instance,
                "hostName": host,
                "app": self.app,
                "ipAddr": host,
                "status": status,
                "overriddenStatus": "UNKNOWN",
                "port": {"$": i.port, "@enabled": "true"},
                "securePort": {"$": 443, "@enabled": "false"},
                "countryId": 1,
                "dataCenterInfo": {
                    "@class": "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo",
                    "name": "MyOwn",
                },
                "leaseInfo": {
                    # Eureka's fields are whole seconds (at least 1): round
                    # the interval down and the lease up, never the other way.
                    "renewalIntervalInSecs": max(1, math.floor(self.renewal_interval_s)),
                    "durationInSecs": max(1, math.ceil(self.lease_duration_s)),
                },
                "metadata": {
                    **self.metadata,
                    "zone": i.zone,
                    "version": i.version,
                    "management.port": str(management_port),
                },
                "homePageUrl": base + "/",
                "statusPageUrl": management + "/health",
                "healthCheckUrl": management + "/health",
                "vipAddress": i.service,
                "secureVipAddress": i.service,
                "isCoordinatingDiscoveryServer": "false",
                "lastUpdatedTimestamp": now,
                "lastDirtyTimestamp": str(self.dirty_ms),
            }
        }

    async def register(self, status: str) -> None:
        """Register this instance with ``status``; UnavailableError if no registry takes it."""
        if status != self.registered_status:
            self.dirty_ms = max(self.dirty_ms + 1, int(time.time() * 1000))
        code, data = await self._call(
            "POST", f"/apps/{self.app}", body=orjson.dumps(self.instance_payload(status))
        )
        if code not in (200, 204):
            raise UnavailableError(f"registration refused: HTTP {code} {data[:200]!r}")
        if self.registered_status != status:
            log.info("registered %s as %s", self.identity.instance, status)
        self.registered_status = status

    async def renew(self) -> None:
        """Send one heartbeat; register again if the registry does not know this instance."""
        status = self.registered_status or self.status()
        code, _ = await self._call(
            "PUT",
            f"/apps/{self.app}/{self.identity.instance}",
            params={"status": status, "lastDirtyTimestamp": str(self.dirty_ms)},
        )
        if code == 404:
            log.info("the registry does not know %s: registering again", self.identity.instance)
            await self.register(status)
        elif code != 200:
            raise UnavailableError(f"heartbeat refused: HTTP {code}")

    async def update_metadata(self, values: Mapping[str, str]) -> bool:
        """Merge ``values`` into this instance's registry metadata; return whether it took them.

        They are kept for the next registration too, so a registry that
        forgot the instance learns them again. False (and nothing sent) before
        the first registration, or if the registry does not know the
        instance yet; UnavailableError if no registry answers.
        """
        self.metadata.update(values)
        if self.registered_status is None:
            return False
        code, data = await self._call(
            "PUT", f"/apps/{self.app}/{self.identity.instance}/metadata", params=dict(values)
        )
        if code == 404:
            return False
        if code != 200:
            raise UnavailableError(f"metadata update refused: HTTP {code} {data[:200]!r}")
        return True

    async def fetch_full(self) -> None:
        """Replace the local copy with the registry's full copy."""
        code, data = await self._call("GET", "/apps")
        if code != 200:
            raise UnavailableError(f"full fetch refused: HTTP {code}")
        try:
            self.local.replace(orjson.loads(data))
        except (ValueError, KeyError, TypeError) as exc:
            raise UnavailableError(f"the registry sent an unreadable registry: {exc}") from exc
        self.fetched = True
        self.last_fetch_s = time.time()

    async def fetch_delta(self) -> None:
        """Apply the registry's recent changes; fetch in full if the copy drifted."""
        code, data = await self._call("GET", "/apps/delta")
        if code != 200:
            raise UnavailableError(f"delta fetch refused: HTTP {code}")
        try:
            matches = self.local.apply_delta(orjson.loads(data))
        except (ValueError, KeyError, TypeError) as exc:
            raise UnavailableError(f"the registry sent an unreadable delta: {exc}") from exc
        if not matches:
            log.info("local registry copy differs from the registry's: fetching it in full")
            await self.fetch_full()
        self.last_fetch_s = time.time()

    # -- background loops ------------------------------------------------------------

    async def _wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=max(0.0, seconds))
        self._wake.clear()

    async def _heartbeat_loop(self) -> None:
        next_renewal = 0.0
        retry = RETRY_FIRST_S
        failing = False
        while True:
            status = self.status()
            now = time.monotonic()
            try:
                if status != self.registered_status:
                    await self.register(status)
                    next_renewal = now + self.renewal_interval_s
                elif now >= next_renewal:
                    await self.renew()
                    next_renewal = now + self.renewal_interval_s
                if failing:
                    log.info("the registry answers again")
                failing, retry = False, RETRY_FIRST_S
            except UnavailableError as exc:
                self.heartbeat_failures += 1
                if not failing:
                    log.warning("cannot reach the registry, retrying: %s", exc)
                failing = True
                # Retry sooner than a heartbeat, so a registry that comes
                # back (or boots with the cluster) learns of us quickly.
                next_renewal = now + min(retry, self.renewal_interval_s)
                retry = min(retry * 2, self.renewal_interval_s)
            wait = next_renewal - time.monotonic()
            if self.status() == "STARTING" or not self._started:
                wait = min(wait, STATUS_POLL_S)
            await self._wait(wait)

    async def _fetch_loop(self) -> None:
        retry = RETRY_FIRST_S
        failing = False
        while True:
            try:
                if self.fetched:
                    await self.fetch_delta()
                else:
                    await self.fetch_full()
                if failing:
                    log.info("registry fetch works again")
                failing, retry = False, RETRY_FIRST_S
                wait = self.fetch_interval_s
            except UnavailableError as exc:
                self.fetch_failures += 1
                if not failing:
                    log.warning("cannot fetch the registry, keeping the local copy: %s", exc)
                failing = True
                wait = min(retry, self.fetch_interval_s)
                retry = min(retry * 2, self.fetch_interval_s)
            await asyncio.sleep(wait)
