"""``deploy/compose.yaml``: every service's instances on the real engines, for Docker.

One compose service per instance (``<service>-<zone>``, as the local cluster
names them), all built from the one image and told which service to be by
``REELSTACK_SERVICE_NAME``. What is not per service (the engines, the
``x-reelstack`` and ``x-engines`` anchors every service merges) is the
template below.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from reelstack.chassis.spec import ServiceSpec
from reelstack.config import env_name
from reelstack.deploy.layout import (
    HTTP_PORT,
    INTERNAL_PORT,
    SERVE_PORT,
    Layout,
    Placement,
    SharedVolume,
    placements,
    shared_volumes,
)
from reelstack.deploy.network import ENGINES as ENGINES_BY_ROLE
from reelstack.deploy.network import GATEWAY
from reelstack.deploy.secrets import BROKER_PASSWORD, compose_ref, needed
from reelstack.deploy.text import comment, scalar
from reelstack.gateway.settings import GATEWAY_AUTH_JWKS_URL
from reelstack.registry.spec import SPEC as REGISTRY_SPEC
from reelstack.settings.discovery import EUREKA_URLS
from reelstack.settings.gateway_front import GATEWAY_INTERNAL_PORT
from reelstack.settings.instance import (
    INSTANCE_ID,
    SERVICE_ADVERTISE_HOST,
    SERVICE_NAME,
    SERVICE_ZONE,
)
from reelstack.settings.ports import (
    BLOB_S3_ACCESS_KEY_ID,
    BLOB_S3_SECRET_ACCESS_KEY,
    LOG_SASL_PASSWORD,
    SQL_PASSWORD,
)

HEADER = """\
# reelstack on the real engines, for a machine with Docker:
#   reelstack deploy secrets    # once: fresh random secrets in deploy/secrets.env
#   make web && docker compose --env-file deploy/secrets.env -f deploy/compose.yaml up --build
# The gateway answers on http://localhost:8080; it and each edge's serving
# port (8600, 8601...) are the only ports published: on 127.0.0.1 unless
# REELSTACK_PUBLISH_ADDRESS names another address, and written into playlists
# as http://localhost:PORT unless REELSTACK_PUBLIC_HOST names the host viewers
# use. The services, Prometheus and the engines share internal networks only
# (see `networks` at the end). Every service reads the same settings as the local
# cluster (see docs/architecture.md); only the URLs of the engines differ from
# the embedded defaults. No secret is written here: compose refuses to start
# until deploy/secrets.env (or the environment) gives each one.
#
# Written by `reelstack deploy render` (make deploy-render) from each service's
# spec (<package>/spec.py): edit the spec or src/reelstack/deploy/, not this file.

x-reelstack: &reelstack
  build:
    context: ..
    dockerfile: deploy/Dockerfile
  image: reelstack:local
  restart: unless-stopped
  depends_on:
    kafka-1: {condition: service_started}
    cassandra: {condition: service_healthy}
    postgres: {condition: service_healthy}
    memcached-a: {condition: service_started}
    memcached-b: {condition: service_started}
    minio: {condition: service_started}

x-engines: &engines
  REELSTACK_LOG_URL: kafka://kafka-1:9092,kafka-2:9092,kafka-3:9092
  REELSTACK_LOG_REPLICATION_FACTOR: "3"
  REELSTACK_LOG_SASL_MECHANISM: PLAIN
  REELSTACK_LOG_SASL_USERNAME: reelstack
  REELSTACK_WIDECOLUMN_URL: cassandra://cassandra:9042/reelstack
  REELSTACK_WIDECOLUMN_CONSISTENCY: LOCAL_QUORUM
  REELSTACK_SQL_URL: postgresql+asyncpg://reelstack@postgres:5432/reelstack
  REELSTACK_CACHE_URL: memcached://a=memcached-a:11211;b=memcached-b:11211
  REELSTACK_BLOB_URL: s3://reelstack?endpoint=http://minio:9000&region=us-east-1
"""

PUBLISH_ADDRESS = "${REELSTACK_PUBLISH_ADDRESS:-127.0.0.1}"
"""Where the gateway's port is published: loopback unless the operator says otherwise."""
PUBLIC_HOST = "${REELSTACK_PUBLIC_HOST:-localhost}"
"""The host name viewers reach published listeners at (written into playlists)."""


def _jaas(*users: tuple[str, str]) -> str:
    # The listener's own login (as "broker") and the users it accepts.
    password = compose_ref(BROKER_PASSWORD)
    accepted = " ".join(f'user_{name}="{compose_ref(var)}"' for name, var in users)
    return (
        "'org.apache.kafka.common.security.plain.PlainLoginModule required"
        f' username="broker" password="{password}" {accepted};\''
    )


ENGINES = f"""\
  # -- the engines, from their official images ---------------------------------

  # Kafka: SASL/PLAIN on both listeners. Clients (user reelstack) reach only
  # the broker listener; the controller listener accepts the brokers alone.
  kafka-1: &kafka
    image: apache/kafka:4.1.0
    networks: [log]
    environment: &kafka-env
      KAFKA_NODE_ID: "1"
      KAFKA_PROCESS_ROLES: broker,controller
      KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
      KAFKA_LISTENERS: BROKER://:9092,CONTROLLER://:9093
      KAFKA_ADVERTISED_LISTENERS: BROKER://kafka-1:9092
      KAFKA_CONTROLLER_LISTENER_NAMES: CONTROLLER
      KAFKA_INTER_BROKER_LISTENER_NAME: BROKER
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: CONTROLLER:SASL_PLAINTEXT,BROKER:SASL_PLAINTEXT
      KAFKA_SASL_ENABLED_MECHANISMS: PLAIN
      KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL: PLAIN
      KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL: PLAIN
      KAFKA_LISTENER_NAME_BROKER_PLAIN_SASL_JAAS_CONFIG: {
    _jaas(("broker", BROKER_PASSWORD), ("reelstack", LOG_SASL_PASSWORD.env))
}
      KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG: {_jaas(("broker", BROKER_PASSWORD))}
      KAFKA_DEFAULT_REPLICATION_FACTOR: "3"
      KAFKA_MIN_INSYNC_REPLICAS: "2"
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "3"
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "3"
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "2"
      CLUSTER_ID: reelstack-kafka-cluster01
  kafka-2:
    <<: *kafka
    environment:
      <<: *kafka-env
      KAFKA_NODE_ID: "2"
      KAFKA_ADVERTISED_LISTENERS: BROKER://kafka-2:9092
  kafka-3:
    <<: *kafka
    environment:
      <<: *kafka-env
      KAFKA_NODE_ID: "3"
      KAFKA_ADVERTISED_LISTENERS: BROKER://kafka-3:9092

  cassandra:
    image: cassandra:5.0
    networks: [widecolumn]
    environment:
      CASSANDRA_CLUSTER_NAME: reelstack
      MAX_HEAP_SIZE: 1G
      HEAP_NEWSIZE: 200M
    healthcheck:
      test: ["CMD", "cqlsh", "-e", "SELECT release_version FROM system.local"]
      interval: 10s
      retries: 30

  # Password authentication (scram-sha-256) for every connection over the network.
  postgres:
    image: postgres:15
    networks: [sql]
    environment:
      POSTGRES_USER: reelstack
      POSTGRES_PASSWORD: {compose_ref(SQL_PASSWORD.env)}
      POSTGRES_DB: reelstack
      POSTGRES_HOST_AUTH_METHOD: scram-sha-256
      POSTGRES_INITDB_ARGS: --auth-host=scram-sha-256
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "reelstack"]
      interval: 5s
      retries: 30

  memcached-a:
    image: memcached:1.6
    networks: [cache]
    command: ["memcached", "-m", "256"]
  memcached-b:
    image: memcached:1.6
    networks: [cache]
    command: ["memcached", "-m", "256"]

  minio:
    image: minio/minio:latest
    networks: [blob]
    command: ["server", "/data"]
    environment:
      MINIO_ROOT_USER: {compose_ref(BLOB_S3_ACCESS_KEY_ID.env)}
      MINIO_ROOT_PASSWORD: {compose_ref(BLOB_S3_SECRET_ACCESS_KEY.env)}

  # Not published: reach it with `docker compose exec` or an override file
  # publishing 127.0.0.1:9090 (it has no authentication).
  prometheus:
    image: prom/prometheus:v2.55.1
    networks: [mesh]
    volumes:
      - ./prometheus.yml:/etc/prometheus/prometheus.yml:ro
"""

EDGE = "edge"
MESH = "mesh"
NETWORKS = f"""\

networks:
  # The one network with a way in: the gateway's and the edges' published ports.
  {EDGE}: {{}}
  # Every service and Prometheus; internal: no way in or out of the host.
  {MESH}: {{internal: true}}
  # One per engine, joined by the services whose spec asks for its port.
""" + "".join(f"  {engine.role}: {{internal: true}}\n" for engine in ENGINES_BY_ROLE)


def render(specs: Iterable[ServiceSpec], layout: Layout) -> str:
    """Return ``deploy/compose.yaml`` for ``specs``."""
    specs = list(specs)
    lines = HEADER.splitlines()
    urls = registry_urls(specs, layout)
    if urls:
        lines.append(f"  {EUREKA_URLS.env}: {scalar(urls)}")
    lines += ["", "services:"]
    keys = key_host(specs, layout)
    for spec in specs:
        for placement in placements(spec, layout):
            lines += instance(spec, placement, keys)
        lines.append("")
    lines += ENGINES.splitlines()
    lines += volumes(shared_volumes(specs))
    lines += NETWORKS.rstrip("\n").splitlines()
    return "\n".join(lines) + "\n"


def registry_urls(specs: Sequence[ServiceSpec], layout: Layout) -> str:
    """Return ``discovery.eureka_urls``: each registry instance by its compose name."""
    for spec in specs:
        if spec.name == REGISTRY_SPEC.name:
            return ",".join(
                f"{p.zone}=http://{p.host}:{HTTP_PORT}/eureka" for p in placements(spec, layout)
            )
    return ""


def key_host(specs: Sequence[ServiceSpec], layout: Layout) -> str:
    """Return the compose name of the identity instance the gateway reads keys from."""
    for spec in specs:
        if spec.name == "identity":
            return next(iter(placements(spec, layout))).host
    return ""


def instance(spec: ServiceSpec, placement: Placement, key_host: str = "") -> list[str]:
    """Return the compose service of one instance."""
    lines = [f"  {placement.host}:", "    <<: *reelstack"]
    if not spec.deploy.needs_engines:
        lines.append("    depends_on: []")
    published: list[str] = []
    if spec.deploy.public_port is not None:
        published.append(
            f"{PUBLISH_ADDRESS}:{spec.deploy.public_port + placement.slot}:{HTTP_PORT}"
        )
    listener = spec.deploy.listener
    if listener is not None:
        # The viewers' listener only: the service port (management) is not published.
        published.append(f"{PUBLISH_ADDRESS}:{listener.public_port + placement.slot}:{SERVE_PORT}")
    if published:
        lines.append(f"    ports: [{', '.join(scalar(p) for p in published)}]")
    lines.append(f"    networks: [{', '.join(networks(spec))}]")
    if spec.deploy.volumes:
        mounts = ", ".join(scalar(f"{v.name}:{v.path}") for v in spec.deploy.volumes)
        lines.append(f"    volumes: [{mounts}]")
    env = {
        SERVICE_NAME.env: spec.name,
        SERVICE_ZONE.env: placement.zone,
        SERVICE_ADVERTISE_HOST.env: placement.host,
        INSTANCE_ID.env: placement.instance_id,
    }
    env.update({env_name(v.setting): v.path for v in spec.deploy.volumes})
    if listener is not None:
        env[env_name(listener.host_setting)] = "0.0.0.0"
        env[env_name(listener.port_setting)] = str(SERVE_PORT)
        port = listener.public_port + placement.slot
        env[env_name(listener.url_setting)] = f"http://{PUBLIC_HOST}:{port}"
    if spec.name == "gateway" and key_host:
        # Identity's keys at a fixed compose name, never found through the registry.
        env[GATEWAY_AUTH_JWKS_URL.env] = f"http://{key_host}:{HTTP_PORT}/.well-known/jwks.json"
    if spec.name == "gateway":
        # Prometheus scrapes a port of its own, never published: the public port
        # answers /health, /ready and /metrics to internal addresses only.
        env[GATEWAY_INTERNAL_PORT.env] = str(INTERNAL_PORT)
    lines += ["    environment:", "      <<: *engines"]
    lines += [f"      {name}: {scalar(value)}" for name, value in env.items()]
    # From deploy/secrets.env or the environment: compose stops without them.
    lines += [f"      {variable}: {compose_ref(key)}" for variable, key in needed(spec)]
    return lines


def networks(spec: ServiceSpec) -> list[str]:
    """Return the compose networks of ``spec``'s instances: the mesh and its engines'.

    Compose cannot say which service may call which (Kubernetes can: see
    :mod:`.network`); the engines are each on their own network, so a
    service reaches only the engines its spec asks for.
    """
    published = spec.deploy.public_port is not None or spec.deploy.listener is not None
    out = [EDGE] if published or spec.name == GATEWAY else []
    out.append(MESH)
    out += [engine.role for engine in ENGINES_BY_ROLE if engine.role in spec.ports]
    return out


def volumes(shared: Sequence[SharedVolume]) -> list[str]:
    """Return the top-level ``volumes`` section (nothing when no service shares one)."""
    if not shared:
        return []
    lines = ["", "volumes:"]
    for item in shared:
        lines += comment(item.about, indent=2)
        lines.append(f"  {item.volume.name}: {{}}")
    return lines
