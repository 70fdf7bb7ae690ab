"""This instance: service name, address, zone, version, logging."""

from __future__ import annotations

from reelstack.config import (
    Setting,
    parse_bool,
    parse_choice,
    parse_float,
    parse_int,
    parse_str,
)
from reelstack.settings.base import add

# -- this instance ----------------------------------------------------------------

SERVICE_NAME = add(Setting("service.name", parse_str, "hello", "Service this process runs."))
SERVICE_HOST = add(Setting("service.host", parse_str, "127.0.0.1", "Address to listen on."))
SERVICE_ADVERTISE_HOST = add(
    Setting(
        "service.advertise_host",
        parse_str,
        "",
        "Address other processes reach this instance at, as registered (default:"
        " service.host, or this host's name when that is a wildcard such as 0.0.0.0).",
    )
)
SERVICE_PORT = add(
    Setting("service.port", parse_int(0, 65535), "0", "Port to listen on (0: any free port).")
)
SERVICE_ZONE = add(Setting("service.zone", parse_str, "a", "Availability zone of this instance."))
SERVICE_VERSION = add(Setting("service.version", parse_str, "v1", "Version this instance runs."))
INSTANCE_ID = add(
    Setting("instance.id", parse_str, "", "Instance id (default: service-zone-port).")
)
SHUTDOWN_GRACE_S = add(
    Setting(
        "service.shutdown_grace_s",
        parse_float(0),
        "10",
        "Seconds a stopping instance waits for in-flight requests to finish.",
    )
)
LOG_LEVEL = add(
    Setting(
        "logging.level",
        parse_choice("DEBUG", "INFO", "WARNING", "ERROR"),
        "INFO",
        "Log level.",
        runtime=True,
    )
)
ACCESS_LOG = add(
    Setting("logging.access", parse_bool, "true", "Log one JSON line per request.", runtime=True)
)
PROPERTIES_POLL_S = add(
    Setting(
        "properties.poll_s",
        parse_float(0.05),
        "1.0",
        "How often an instance polls for changed runtime properties, in seconds.",
    )
)
