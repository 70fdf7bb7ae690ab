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
    Layout,
    Placement,
    SharedVolume,
    placements,
    shared_volumes,
)
from reelstack.deploy.text import comment, scalar
from reelstack.gateway.settings import GATEWAY_AUTH_JWKS_URL
from reelstack.registry.spec import SPEC as REGISTRY_SPEC
from reelstack.settings.discovery import EUREKA_URLS
from reelstack.settings.instance import (
    INSTANCE_ID,
    SERVICE_ADVERTISE_HOST,
    SERVICE_NAME,
    SERVICE_ZONE,
)

HEADER = """\
# reelstack on the real engines, for a machine with Docker:
#   make web && docker compose -f deploy/compose.yaml up --build
# The gateway answers on http://localhost:8080. Every service reads the same
# settings as the local cluster (see docs/architecture.md); only the URLs of
# the engines differ from the embedded defaults.
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
  REELSTACK_WIDECOLUMN_URL: cassandra://cassandra:9042/reelstack
  REELSTACK_WIDECOLUMN_CONSISTENCY: LOCAL_QUORUM
  REELSTACK_SQL_URL: postgresql+asyncpg://reelstack:reelstack@postgres:5432/reelstack
  REELSTACK_CACHE_URL: memcached://a=memcached-a:11211;b=memcached-b:11211
  REELSTACK_BLOB_URL: s3://reelstack?endpoint=http://minio:9000&region=us-east-1
  REELSTACK_BLOB_S3_ACCESS_KEY_ID: reelstack
  REELSTACK_BLOB_S3_SECRET_ACCESS_KEY: reelstack-secret
  # Registry writes need it; set it in the environment or .env (never here).
  REELSTACK_CLUSTER_SECRET: ${REELSTACK_CLUSTER_SECRET:?set REELSTACK_CLUSTER_SECRET}
"""

ENGINES = """\
  # -- the engines, from their official images ---------------------------------

  kafka-1: &kafka
    image: apache/kafka:4.1.0
    environment: &kafka-env
      KAFKA_NODE_ID: "1"
      KAFKA_PROCESS_ROLES: broker,controller
      KAFKA_CONTROLLER_QUORUM_VOTERS: 1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093
      KAFKA_LISTENERS: PLAINTEXT://:9092,CONTROLLER://:9093
      KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka-1:9092
      KAFKA_CONTROLLER_LISTENER_NAMES: CONTROLLER
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
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
      KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka-2:9092
  kafka-3:
    <<: *kafka
    environment:
      <<: *kafka-env
      KAFKA_NODE_ID: "3"
      KAFKA_ADVERTISED_LISTENERS: PLAINTEXT://kafka-3:9092

  cassandra:
    image: cassandra:5.0
    environment:
      CASSANDRA_CLUSTER_NAME: reelstack
      MAX_HEAP_SIZE: 1G
      HEAP_NEWSIZE: 200M
    healthcheck:
      test: ["CMD", "cqlsh", "-e", "SELECT release_version FROM system.local"]
      interval: 10s
      retries: 30

  postgres:
    image: postgres:15
    environment:
      POSTGRES_USER: reelstack
      POSTGRES_PASSWORD: reelstack
      POSTGRES_DB: reelstack
    healthcheck:
      test: ["CMD", "pg_isready", "-U", "reelstack"]
      interval: 5s
      retries: 30

  memcached-a:
    image: memcached:1.6
    command: ["memcached", "-m", "256"]
  memcached-b:
    image: memcached:1.6
    command: ["memcached", "-m", "256"]

  minio:
    image: minio/minio:latest
    command: ["server", "/data"]
    environment:
      MINIO_ROOT_USER: reelstack
      MINIO_ROOT_PASSWORD: reelstack-secret

  prometheus:
    image: prom/prometheus:v2.55.1
    ports: ["9090:9090"]
    volumes:
      - ./prometheus.yml:/etc/prometheus/prometheus.yml:ro
"""


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
    if spec.deploy.public_port is not None:
        published = f"{spec.deploy.public_port + placement.slot}:{HTTP_PORT}"
        lines.append(f"    ports: [{scalar(published)}]")
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
    if spec.name == "gateway" and key_host:
        # Identity's keys at a fixed compose name, never found through the registry.
        env[GATEWAY_AUTH_JWKS_URL.env] = f"http://{key_host}:{HTTP_PORT}/.well-known/jwks.json"
    lines += ["    environment:", "      <<: *engines"]
    lines += [f"      {name}: {scalar(value)}" for name, value in env.items()]
    return lines


def volumes(shared: Sequence[SharedVolume]) -> list[str]:
    """Return the top-level ``volumes`` section (nothing when no service shares one)."""
    if not shared:
        return []
    lines = ["", "volumes:"]
    for item in shared:
        lines += comment(item.about, indent=2)
        lines.append(f"  {item.volume.name}: {{}}")
    return lines
