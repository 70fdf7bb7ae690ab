"""The deployment's secrets: made at install with fresh random values, never committed.

``reelstack deploy secrets`` writes them twice, from the same values:

- ``deploy/secrets.env``, for ``docker compose --env-file deploy/secrets.env``
  (the compose file names each variable as ``${NAME:?...}``, so compose
  refuses to start without it);
- ``deploy/k8s/secrets.yaml``, the Secrets ``reelstack-secrets`` (each
  service reads the keys of the ports its spec asks for) and
  ``reelstack-kafka`` (the brokers' credentials); a pod whose Secret is
  missing does not start.

Each service is given only the secrets of the ports it uses (history, on
Cassandra alone, never sees the PostgreSQL password), and its own registry
credential rather than the cluster secret (:func:`needed`).

Both paths are in ``.gitignore`` and written ``0600``. Running the command
again keeps the values already in ``deploy/secrets.env`` (PostgreSQL keeps
the password it was initialised with) and adds any missing; ``rotate``
makes new ones.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reelstack.chassis.spec import ServiceSpec
from reelstack.registry.spec import SPEC as REGISTRY_SPEC
from reelstack.registry_credentials import credential
from reelstack.settings.discovery import CLUSTER_SECRET, EUREKA_CREDENTIAL
from reelstack.settings.ports import (
    BLOB_S3_ACCESS_KEY_ID,
    BLOB_S3_SECRET_ACCESS_KEY,
    LOG_SASL_PASSWORD,
    SQL_PASSWORD,
)

ENV_FILE = Path("deploy/secrets.env")
K8S_FILE = Path("deploy/k8s/secrets.yaml")
SERVICE_SECRET = "reelstack-secrets"
KAFKA_SECRET = "reelstack-kafka"
BROKER_PASSWORD = "KAFKA_BROKER_PASSWORD"
"""The brokers' password between themselves; only the Kafka manifests read it."""
MISSING = "generate it with reelstack deploy secrets (deploy/secrets.env)"
"""What compose says when a variable is not set."""


def _hex() -> str:
    # Hex only: safe unquoted in a URL, an env file, YAML and a JAAS string.
    return secrets.token_hex(32)


def _key_id() -> str:
    return f"reelstack-{secrets.token_hex(8)}"


@dataclass(frozen=True)
class Generated:
    """One secret: its variable, who reads it, and how a value is made.

    ``role``: the port role whose services read it (``sql``...); None: no
    service reads it as such (the cluster secret, which only the registry
    reads, and the brokers' own credential).
    """

    name: str
    about: str
    role: str | None = None
    make: Callable[[], str] = _hex
    services: bool = True
    """Whether it goes in the services' Secret (False: the engines' alone)."""


SECRETS: tuple[Generated, ...] = (
    Generated(CLUSTER_SECRET.env, "the registry's; each service gets its own credential instead"),
    Generated(SQL_PASSWORD.env, "PostgreSQL password of the reelstack role", "sql"),
    Generated(LOG_SASL_PASSWORD.env, "Kafka SASL/PLAIN password of the reelstack user", "log"),
    Generated(BLOB_S3_ACCESS_KEY_ID.env, "S3 (MinIO root) access key id", "blob", _key_id),
    Generated(BLOB_S3_SECRET_ACCESS_KEY.env, "S3 (MinIO root) secret key", "blob"),
    Generated(BROKER_PASSWORD, "Kafka brokers' password between themselves", services=False),
)
CREDENTIAL_PREFIX = "REGISTRY_CREDENTIAL_"


def credential_name(service: str) -> str:
    """Return the variable holding ``service``'s registry credential."""
    return CREDENTIAL_PREFIX + service.upper().replace("-", "_")


def needed(spec: ServiceSpec) -> list[tuple[str, str]]:
    """Return ``(variable, secret)`` for each secret ``spec``'s instances read.

    Only the registry holds the cluster secret; every other service gets its
    own registry credential (``eureka.credential``), so a compromised service
    can write to the registry only as itself. A port's secrets go only to
    the services that ask for the port (history never sees the PostgreSQL
    password).
    """
    if spec.name == REGISTRY_SPEC.name:
        out = [(CLUSTER_SECRET.env, CLUSTER_SECRET.env)]
    else:
        out = [(EUREKA_CREDENTIAL.env, credential_name(spec.name))]
    out += [(item.name, item.name) for item in SECRETS if item.role in spec.ports]
    return out


def compose_ref(name: str) -> str:
    """Return the compose interpolation of ``name`` that refuses to start without it."""
    return f"${{{name}:?{MISSING}}}"


def read_env(path: Path) -> dict[str, str]:
    """Return the ``NAME=value`` lines of an env file (comments and blanks skipped)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for line in path.read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            name, _, value = line.partition("=")
            values[name.strip()] = value.strip()
    return values


def values(
    existing: Mapping[str, str], specs: Iterable[ServiceSpec], *, rotate: bool = False
) -> dict[str, str]:
    """Return every secret: the existing value unless ``rotate`` or empty, else a new one.

    The services' registry credentials are derived from the cluster secret
    (:func:`reelstack.registry_credentials.credential`), never kept apart.
    """
    out: dict[str, str] = {}
    for item in SECRETS:
        kept = "" if rotate else existing.get(item.name, "")
        out[item.name] = kept or item.make()
    key = out[CLUSTER_SECRET.env].encode()
    for spec in specs:
        if spec.name != REGISTRY_SPEC.name:
            out[credential_name(spec.name)] = credential(key, spec.name)
    return out


def env_text(found: Mapping[str, str]) -> str:
    """Return the env file for compose."""
    lines = ["# Made by `reelstack deploy secrets`; never commit it (it is in .gitignore)."]
    for item in SECRETS:
        lines += [f"# {item.about}", f"{item.name}={found[item.name]}"]
    lines.append("# Each service's registry credential, derived from the cluster secret")
    lines += [f"{name}={value}" for name, value in found.items() if _is_credential(name)]
    return "\n".join(lines) + "\n"


def _is_credential(name: str) -> bool:
    return name.startswith(CREDENTIAL_PREFIX)


def k8s_text(found: Mapping[str, str]) -> str:
    """Return the Kubernetes Secrets (``kubectl apply -f``)."""

    def secret(name: str, data: Mapping[str, str]) -> list[str]:
        return [
            "apiVersion: v1",
            "kind: Secret",
            "metadata:",
            f"  name: {name}",
            "  namespace: reelstack",
            "type: Opaque",
            "stringData:",
            *(f'  {key}: "{value}"' for key, value in data.items()),
        ]

    shared = {item.name: found[item.name] for item in SECRETS if item.services}
    shared.update({name: value for name, value in found.items() if _is_credential(name)})
    kafka = {
        "broker-password": found[BROKER_PASSWORD],
        "client-password": found[LOG_SASL_PASSWORD.env],
    }
    header = "# Made by `reelstack deploy secrets`; never commit it (it is in .gitignore).\n"
    body = "\n---\n".join(
        "\n".join(doc) for doc in (secret(SERVICE_SECRET, shared), secret(KAFKA_SECRET, kafka))
    )
    return header + body + "\n"


def _write_private(path: Path, text: str) -> None:
    # Made 0600 before a byte is written, then renamed over the old file.
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as out:
            out.write(text)
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def write(root: Path, specs: Iterable[ServiceSpec], *, rotate: bool = False) -> dict[str, str]:
    """Write ``deploy/secrets.env`` and ``deploy/k8s/secrets.yaml`` under ``root``.

    Returns the values (the caller prints only their names).
    """
    found = values(read_env(root / ENV_FILE), specs, rotate=rotate)
    _write_private(root / ENV_FILE, env_text(found))
    _write_private(root / K8S_FILE, k8s_text(found))
    return found
