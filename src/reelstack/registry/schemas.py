"""The registry's wire shapes: Eureka 1.x JSON, parsed strictly and rendered faithfully.

Parsing names the first bad field (``instance.port``) so a client learns
exactly what to fix. Rendering produces what Eureka's own server sends, so
spring-cloud and py-eureka-client read it unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from reelstack.errors import InvalidRequestError
from reelstack.registry.models import (
    DEFAULT_DURATION_S,
    DEFAULT_RENEWAL_INTERVAL_S,
    STATUSES,
    UNKNOWN,
    UP,
    Action,
    Instance,
    Lease,
    Replication,
    ReplicationAction,
)

# Fields we keep as sent and send back unchanged.
PASSTHROUGH = ("appGroupName", "asgName", "sid")
MAX_METADATA_ENTRIES = 64


class FieldError(InvalidRequestError):
    """A request body or parameter is invalid; ``field`` names it (``instance.port``)."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")

    def body(self) -> dict[str, str]:
        """The JSON body of the 400 answer."""
        return {"error": "InvalidRequestError", "field": self.field, "detail": self.reason}


def load_json(body: bytes, what: str) -> Any:
    """Decode a JSON body; FieldError naming ``what`` if it is not JSON."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FieldError(what, f"not valid JSON: {exc}") from None


def parse_status(raw: object, field: str, *, default: str | None = None) -> str:
    """Return a valid status from ``raw`` (upper-cased); FieldError if it is none."""
    if raw is None and default is not None:
        return default
    if not isinstance(raw, str) or raw.upper() not in STATUSES:
        raise FieldError(field, f"expected one of {', '.join(sorted(STATUSES))}")
    return raw.upper()


def parse_millis(raw: object, field: str) -> int | None:
    """Return a millisecond timestamp sent as a number or a string (None if absent)."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise FieldError(field, "expected a timestamp in milliseconds")
    try:
        value = int(raw) if isinstance(raw, int | str) else None
    except ValueError:
        value = None
    if value is None or value < 0:
        raise FieldError(field, "expected a timestamp in milliseconds")
    return value


def _text(data: Mapping[str, Any], key: str, path: str, *, required: bool = False) -> str:
    value = data.get(key)
    if value is None or value == "":
        if required:
            raise FieldError(f"{path}.{key}", "missing")
        return ""
    if not isinstance(value, str):
        raise FieldError(f"{path}.{key}", "expected a string")
    return value


def _integer(raw: object, field: str, minimum: int, maximum: int) -> int:
    if isinstance(raw, bool):
        raise FieldError(field, f"expected an integer {minimum}..{maximum}")
    try:
        value = int(raw) if isinstance(raw, int | str) else None
    except ValueError:
        value = None
    if value is None or not minimum <= value <= maximum:
        raise FieldError(field, f"expected an integer {minimum}..{maximum}")
    return value


def _enabled(raw: object, field: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise FieldError(field, 'expected "true" or "false"')


def _port(
    data: Mapping[str, Any], key: str, path: str, default: tuple[int, bool]
) -> tuple[int, bool]:
    raw = data.get(key)
    field = f"{path}.{key}"
    if raw is None:
        return default
    if isinstance(raw, Mapping):
        if "$" not in raw:
            raise FieldError(field, 'expected {"$": port, "@enabled": "true"}')
        port = _integer(raw["$"], field, 0, 65535)
        enabled = _enabled(raw.get("@enabled", "true"), f"{field}.@enabled")
        return port, enabled
    return _integer(raw, field, 0, 65535), default[1]


def _metadata(raw: object, path: str) -> dict[str, str]:
    field = f"{path}.metadata"
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise FieldError(field, "expected an object of strings")
    metadata: dict[str, str] = {}
    for key, value in raw.items():
        if key == "@class":
            continue  # Java clients send {"@class": "java.util.Collections$EmptyMap"}
        if isinstance(value, Mapping | list):
            raise FieldError(f"{field}.{key}", "expected a string")
        metadata[str(key)] = "" if value is None else str(value)
    if len(metadata) > MAX_METADATA_ENTRIES:
        raise FieldError(field, f"at most {MAX_METADATA_ENTRIES} entries")
    return metadata


def instance_from_wire(
    data: object, *, app: str | None, now_ms: int, path: str = "instance"
) -> Instance:
    """Build an Instance from Eureka's JSON instance object; FieldError on the first bad field.

    ``app`` is the app named by the URL, which the body must agree with.
    """
    if not isinstance(data, Mapping):
        raise FieldError(path, "expected an object")
    body_app = _text(data, "app", path)
    if app is not None and body_app and body_app.upper() != app.upper():
        raise FieldError(f"{path}.app", f"{body_app!r} does not match {app!r} in the URL")
    name = (body_app or app or "").upper()
    if not name:
        raise FieldError(f"{path}.app", "missing")
    host_name = _text(data, "hostName", path, required=True)
    instance_id = _text(data, "instanceId", path) or host_name
    ip_addr = _text(data, "ipAddr", path, required=True)
    vip_address = _text(data, "vipAddress", path, required=True)
    data_center = data.get("dataCenterInfo")
    if not isinstance(data_center, Mapping):
        raise FieldError(f"{path}.dataCenterInfo", "missing")
    _text(data_center, "name", f"{path}.dataCenterInfo", required=True)
    port, port_enabled = _port(data, "port", path, (0, True))
    secure_port, secure_enabled = _port(data, "securePort", path, (443, False))
    status = parse_status(data.get("status"), f"{path}.status", default=UP)
    overridden_raw = data.get("overriddenStatus", data.get("overriddenstatus"))
    overridden = parse_status(overridden_raw, f"{path}.overriddenStatus", default=UNKNOWN)
    lease = data.get("leaseInfo")
    renewal_s, duration_s = DEFAULT_RENEWAL_INTERVAL_S, DEFAULT_DURATION_S
    if lease is not None:
        if not isinstance(lease, Mapping):
            raise FieldError(f"{path}.leaseInfo", "expected an object")
        if lease.get("renewalIntervalInSecs") is not None:
            renewal_s = _integer(
                lease["renewalIntervalInSecs"], f"{path}.leaseInfo.renewalIntervalInSecs", 1, 86400
            )
        if lease.get("durationInSecs") is not None:
            duration_s = _integer(
                lease["durationInSecs"], f"{path}.leaseInfo.durationInSecs", 1, 86400
            )
    country = data.get("countryId")
    dirty = parse_millis(data.get("lastDirtyTimestamp"), f"{path}.lastDirtyTimestamp")
    return Instance(
        app=name,
        instance_id=instance_id,
        host_name=host_name,
        ip_addr=ip_addr,
        vip_address=vip_address,
        port=port,
        port_enabled=port_enabled,
        secure_port=secure_port,
        secure_port_enabled=secure_enabled,
        status=status,
        overridden_status=overridden,
        secure_vip_address=_text(data, "secureVipAddress", path),
        home_page_url=_text(data, "homePageUrl", path),
        status_page_url=_text(data, "statusPageUrl", path),
        health_check_url=_text(data, "healthCheckUrl", path),
        secure_health_check_url=_text(data, "secureHealthCheckUrl", path),
        country_id=1 if country is None else _integer(country, f"{path}.countryId", 0, 10**6),
        data_center=dict(data_center),
        renewal_interval_s=renewal_s,
        duration_s=duration_s,
        metadata=_metadata(data.get("metadata"), path),
        last_updated_ms=now_ms,
        last_dirty_ms=now_ms if dirty is None else dirty,
        extra={key: data[key] for key in PASSTHROUGH if isinstance(data.get(key), str)},
    )


def parse_registration(body: bytes, *, app: str, now_ms: int) -> Instance:
    """Parse a ``POST /eureka/apps/{APP}`` body: ``{"instance": {...}}``."""
    data = load_json(body, "instance")
    if not isinstance(data, Mapping) or "instance" not in data:
        raise FieldError("instance", 'expected {"instance": {...}}')
    return instance_from_wire(data["instance"], app=app, now_ms=now_ms)


def _ms(seconds: float) -> int:
    return int(seconds * 1000)


def instance_to_wire(
    lease: Lease, action: Action | None = None, *, own_status: bool = False
) -> dict[str, Any]:
    """Render a lease's instance as Eureka's JSON instance object.

    ``status`` is the effective status, as clients need it; replication to a
    peer sends the instance's own status instead (``own_status``) alongside
    the override, so the peer can apply the same rules.
    """
    i = lease.instance
    wire: dict[str, Any] = {
        "instanceId": i.instance_id,
        "hostName": i.host_name,
        "app": i.app,
        "ipAddr": i.ip_addr,
        "status": i.status if own_status else i.effective_status,
        "overriddenStatus": i.overridden_status,
        "port": {"$": i.port, "@enabled": "true" if i.port_enabled else "false"},
        "securePort": {
            "$": i.secure_port,
            "@enabled": "true" if i.secure_port_enabled else "false",
        },
        "countryId": i.country_id,
        "dataCenterInfo": i.data_center,
        "leaseInfo": {
            "renewalIntervalInSecs": i.renewal_interval_s,
            "durationInSecs": i.duration_s,
            "registrationTimestamp": _ms(lease.registered_s),
            "lastRenewalTimestamp": _ms(lease.last_renewal_s),
            "evictionTimestamp": _ms(lease.eviction_s),
            "serviceUpTimestamp": _ms(lease.service_up_s),
        },
        "metadata": i.metadata,
        "homePageUrl": i.home_page_url,
        "statusPageUrl": i.status_page_url,
        "healthCheckUrl": i.health_check_url,
        "secureHealthCheckUrl": i.secure_health_check_url,
        "vipAddress": i.vip_address,
        "secureVipAddress": i.secure_vip_address,
        "isCoordinatingDiscoveryServer": "false",
        "lastUpdatedTimestamp": str(i.last_updated_ms),
        "lastDirtyTimestamp": str(i.last_dirty_ms),
    }
    if action is not None:
        wire["actionType"] = action.value
    wire.update(i.extra)
    return wire


def application_to_wire(
    name: str, leases: Iterable[Lease], actions: Mapping[str, Action] | None = None
) -> dict[str, Any]:
    """Render one application: ``{"name": ..., "instance": [...]}``."""
    actions = actions or {}
    return {
        "name": name,
        "instance": [
            instance_to_wire(lease, actions.get(lease.instance.instance_id, Action.ADDED))
            for lease in leases
        ],
    }


def applications_to_wire(
    apps: Iterable[tuple[str, list[Lease]]],
    *,
    version: int,
    hashcode: str,
    actions: Mapping[str, Action] | None = None,
) -> dict[str, Any]:
    """Render the registry (or a delta) as Eureka's ``{"applications": {...}}``."""
    return {
        "applications": {
            "versions__delta": str(version),
            "apps__hashcode": hashcode,
            "application": [application_to_wire(name, leases, actions) for name, leases in apps],
        }
    }


def parse_replication_batch(body: bytes) -> list[Replication]:
    """Parse Eureka's ``{"replicationList": [...]}`` batch a peer sends."""
    data = load_json(body, "replicationList")
    items = data.get("replicationList") if isinstance(data, Mapping) else None
    if not isinstance(items, list):
        raise FieldError("replicationList", "expected a list")
    tasks: list[Replication] = []
    for index, item in enumerate(items):
        path = f"replicationList[{index}]"
        if not isinstance(item, Mapping):
            raise FieldError(path, "expected an object")
        try:
            action = ReplicationAction(str(item.get("action")))
        except ValueError:
            choices = ", ".join(a.value for a in ReplicationAction)
            raise FieldError(f"{path}.action", f"expected one of {choices}") from None
        app = _text(item, "appName", path, required=True)
        instance_id = _text(item, "id", path, required=True)
        status = item.get("status")
        overridden = item.get("overriddenStatus")
        info = item.get("instanceInfo")
        if action is ReplicationAction.REGISTER and not isinstance(info, Mapping):
            raise FieldError(f"{path}.instanceInfo", "missing")
        tasks.append(
            Replication(
                action,
                app.upper(),
                instance_id,
                last_dirty_ms=parse_millis(
                    item.get("lastDirtyTimestamp"), f"{path}.lastDirtyTimestamp"
                ),
                status=None if status is None else parse_status(status, f"{path}.status"),
                overridden_status=(
                    None
                    if overridden is None
                    else parse_status(overridden, f"{path}.overriddenStatus")
                ),
                instance=dict(info) if isinstance(info, Mapping) else None,
            )
        )
    return tasks
