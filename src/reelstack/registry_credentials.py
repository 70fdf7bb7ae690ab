"""Registry credentials: who may write to the registry, and under which name.

Eureka itself has no authentication: anything that reaches a registry could
register as ``identity`` and take its traffic. Here every write (register,
renew, cancel, status overrides, metadata, peer replication) carries HTTP
Basic credentials ``SERVICE:CREDENTIAL`` (what Spring Cloud puts in its
registry URLs), where the credential is HMAC-SHA256 of the service name under
the cluster secret (``cluster.secret``). The registry, which holds the
secret, checks the credential and that the name matches the application
written; a peer registry writes as ``registry``.

Why an HMAC of the name rather than the bare secret as a password: the
credential is bound to one name, so a leaked credential (a log, a process
listing of one service) lets its holder write only as that service, and a
deployment can hand each service its own credential rather than the secret.

Registry and chassis both import this module; neither imports the other.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

from reelstack import settings
from reelstack.config import Config, Secret
from reelstack.signed_urls import home_key

SECRET_FILE = "secrets/cluster_secret"
PEER = "registry"
"""The name a registry writes under when it replicates to its peers."""
_MAX_HEADER = 512


def cluster_key(config: Config) -> bytes:
    """Return the cluster secret: the setting, else the home's key file (made if missing)."""
    secret: Secret = config.get(settings.CLUSTER_SECRET)
    value = secret.reveal()
    if value:
        if len(value) < 16:
            raise ValueError("cluster.secret needs at least 16 characters")
        return value.encode()
    return home_key(Path(config.get(settings.HOME)), SECRET_FILE)


def credential(key: bytes, service: str) -> str:
    """Return ``service``'s registry credential under the cluster ``key``."""
    mac = hmac.new(key, b"registry-credential\n" + service.lower().encode(), hashlib.sha256)
    return mac.hexdigest()


def authorization(key: bytes, service: str) -> str:
    """Return the ``Authorization`` header value ``service`` writes to the registry with."""
    return _basic(service, credential(key, service))


def _basic(service: str, given: str) -> str:
    pair = f"{service.lower()}:{given}".encode()
    return "Basic " + base64.b64encode(pair).decode("ascii")


def own_authorization(config: Config, service: str) -> str:
    """Return the header this instance writes with: ``eureka.credential``, else derived."""
    own: Secret = config.get(settings.EUREKA_CREDENTIAL)
    if own.reveal():
        return _basic(service, own.reveal())
    return authorization(cluster_key(config), service)


class CredentialError(Exception):
    """A registry write refused: ``status`` 401 (who are you?) or 403 (not yours)."""

    def __init__(self, status: int, reason: str, description: str) -> None:
        self.status = status
        self.reason = reason  # a short label for the metric
        self.description = description
        super().__init__(description)


@dataclass(frozen=True, slots=True)
class CredentialChecker:
    """Checks the ``Authorization`` header of a registry write against the cluster key."""

    key: bytes

    def principal(self, header: str | None) -> str:
        """Return the service a header proves to be; CredentialError(401) if none."""
        if not header:
            raise CredentialError(
                401, "missing", "registry writes need Basic credentials SERVICE:CREDENTIAL"
            )
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "basic" or len(header) > _MAX_HEADER:
            raise CredentialError(401, "malformed", "registry credentials must be HTTP Basic")
        try:
            name, sep, given = base64.b64decode(value, validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise CredentialError(401, "malformed", "registry credentials are not base64") from None
        if not sep or not name:
            raise CredentialError(401, "malformed", "registry credentials name no service")
        if not hmac.compare_digest(credential(self.key, name), given):
            raise CredentialError(401, "invalid", f"the credential is not {name.lower()}'s")
        return name.lower()

    def check_app(self, header: str | None, app: str) -> str:
        """Return the principal if it may write ``app``'s instances (itself or a peer)."""
        who = self.principal(header)
        if who not in (app.lower(), PEER):
            raise CredentialError(
                403, "other_service", f"{who} may not write the instances of {app.lower()}"
            )
        return who

    def check_peer(self, header: str | None) -> str:
        """Return the principal if it is a peer registry; CredentialError otherwise."""
        who = self.principal(header)
        if who != PEER:
            raise CredentialError(403, "not_peer", f"{who} is not a peer registry")
        return who
