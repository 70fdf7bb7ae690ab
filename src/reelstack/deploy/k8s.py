"""``deploy/k8s/services.yaml``: one Deployment per service and zone, and the Services
and volume claims the specs ask for.

Every container runs the one image, told which service to be by
``REELSTACK_SERVICE_NAME``, where the engines are by the ``reelstack-engines``
ConfigMap (``deploy/k8s/config.yaml``, written by hand), and given the keys
of the ``reelstack-secrets`` Secret its ports need (made at install by
:mod:`.secrets`). Services find each other through the registry, so only an
``addressable`` service (one Service per zone, a fixed name), a public one
(a load balancer) and one with a viewer listener (a load balancer per zone
on that port alone: an edge site) get Kubernetes Services.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from reelstack.chassis.spec import ServiceSpec
from reelstack.config import env_name
from reelstack.deploy.layout import (
    HTTP_PORT,
    INTERNAL_PORT,
    SERVE_PORT,
    Layout,
    SharedVolume,
    replicas,
    shared_volumes,
)
from reelstack.deploy.secrets import SERVICE_SECRET, needed
from reelstack.deploy.text import comment, scalar
from reelstack.gateway.settings import GATEWAY_AUTH_JWKS_URL
from reelstack.settings.gateway_front import GATEWAY_INTERNAL_PORT
from reelstack.settings.instance import (
    INSTANCE_ID,
    SERVICE_ADVERTISE_HOST,
    SERVICE_NAME,
    SERVICE_ZONE,
)

NAMESPACE = "reelstack"
IMAGE = "reelstack:latest"
PUBLIC_PORT = 80
"""The port a public service's load balancer answers on."""
KEY_SERVICE = "identity"
"""The service whose public keys verify tokens: it gets a fixed Service name."""
KEY_READER = "gateway"
KEY_URL = f"http://{KEY_SERVICE}.{NAMESPACE}.svc:{HTTP_PORT}/.well-known/jwks.json"
LISTENER_URLS = "reelstack-listeners"
"""The ConfigMap (deploy/k8s/config.yaml) naming each zone's public URL of a viewer listener."""
VOLUME_SIZE = "100Gi"
"""What each shared volume claims; resize it in the cluster as the catalog grows."""

HEADER = """\
# The reelstack services: each runs from the one image, chosen by
# REELSTACK_SERVICE_NAME; one Deployment per service and zone. Services find
# each other through the registry, so only addressable services (found by a
# fixed name) and public ones (behind a load balancer) have Kubernetes
# Services. A zone's replicas are the instances the service's spec asks for,
# spread over the zones as the local cluster spreads them.
#
# Secrets are made at install and never committed: `reelstack deploy secrets`
# writes deploy/k8s/secrets.yaml (kubectl apply -f it before these); each
# container takes only the keys of the ports its service uses, and a pod whose
# Secret is missing does not start. deploy/k8s/network.yaml says who may reach
# whom.
# The gateway reads identity's public keys at the fixed Service "identity"
# (its pods are chosen by the cluster's labels), never through the registry.
#
# Written by `reelstack deploy render` (make deploy-render) from each service's
# spec (<package>/spec.py): edit the spec or src/reelstack/deploy/, not this file.
"""


def _zone(zone: str) -> str:
    # Quoted always: a zone may be all digits, and a label value is a string.
    return json.dumps(zone)


def render(specs: Iterable[ServiceSpec], layout: Layout) -> str:
    """Return ``deploy/k8s/services.yaml`` for ``specs``."""
    specs = list(specs)
    pending = {item.volume.name: item for item in shared_volumes(specs)}
    docs: list[list[str]] = []
    for spec in specs:
        for zone, count in replicas(spec, layout):
            docs.append(deployment(spec, zone, count))
        if spec.deploy.addressable:
            docs += [zone_service(spec, zone) for zone, _ in replicas(spec, layout)]
        if spec.name == KEY_SERVICE:
            docs.append(key_service(spec))
        if spec.deploy.public_port is not None:
            docs.append(public_service(spec))
        if spec.deploy.listener is not None:
            docs += [listener_service(spec, zone) for zone, _ in replicas(spec, layout)]
        # Each claim follows the first service that mounts it.
        for volume in spec.deploy.volumes:
            item = pending.pop(volume.name, None)
            if item is not None:
                docs.append(claim(item))
    body = "\n---\n".join("\n".join(doc) for doc in docs)
    return HEADER + body + "\n"


def deployment(spec: ServiceSpec, zone: str, count: int) -> list[str]:
    """Return the Deployment of ``spec``'s instances in ``zone``."""
    name = scalar(spec.name)
    labels = f"{{app: {name}, zone: {_zone(zone)}}}"
    lines = [
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        f"  name: {scalar(f'{spec.name}-{zone}')}",
        f"  namespace: {NAMESPACE}",
        f"  labels: {labels}",
        "spec:",
        f"  replicas: {count}",
        "  selector:",
        f"    matchLabels: {labels}",
        "  template:",
        "    metadata:",
        f"      labels: {labels}",
        "    spec:",
        "      containers:",
        f"        - name: {name}",
        f"          image: {IMAGE}",
        container_ports(spec),
        "          envFrom:",
        "            - configMapRef: {name: reelstack-engines}",
        "          env:",
        f"            - {{name: {SERVICE_NAME.env}, value: {name}}}",
        f"            - {{name: {SERVICE_ZONE.env}, value: {_zone(zone)}}}",
        f"            - name: {SERVICE_ADVERTISE_HOST.env}",
        "              valueFrom: {fieldRef: {fieldPath: status.podIP}}",
        f"            - name: {INSTANCE_ID.env}",
        "              valueFrom: {fieldRef: {fieldPath: metadata.name}}",
    ]
    for variable, key in needed(spec):
        ref = f"{{name: {SERVICE_SECRET}, key: {key}}}"
        lines += [
            f"            - name: {variable}",
            f"              valueFrom: {{secretKeyRef: {ref}}}",
        ]
    if spec.name == KEY_READER:
        lines.append(
            f"            - {{name: {GATEWAY_AUTH_JWKS_URL.env}, value: {scalar(KEY_URL)}}}"
        )
        # Probes and Prometheus on a port of their own: the public one answers
        # /health, /ready and /metrics to internal addresses only.
        internal = scalar(str(INTERNAL_PORT))
        lines.append(f"            - {{name: {GATEWAY_INTERNAL_PORT.env}, value: {internal}}}")
    for volume in spec.deploy.volumes:
        lines.append(
            f"            - {{name: {env_name(volume.setting)}, value: {scalar(volume.path)}}}"
        )
    lines += listener_env(spec, zone)
    lines += [
        *probes(spec),
        # Kubernetes' usual pause: endpoints drop the pod before it is told to stop.
        "          lifecycle:",
        "            preStop:",
        "              sleep: {seconds: 5}",
    ]
    if spec.deploy.volumes:
        lines.append("          volumeMounts:")
        lines += [
            f"            - {{name: {scalar(v.name)}, mountPath: {scalar(v.path)}}}"
            for v in spec.deploy.volumes
        ]
    lines.append(f"      terminationGracePeriodSeconds: {spec.deploy.stop_grace_s}")
    if spec.deploy.volumes:
        lines.append("      volumes:")
        lines += [
            f"        - {{name: {scalar(v.name)}, persistentVolumeClaim:"
            f" {{claimName: {scalar(v.name)}}}}}"
            for v in spec.deploy.volumes
        ]
    return lines


def container_ports(spec: ServiceSpec) -> str:
    """Return the container's ``ports`` line: HTTP, and the internal or viewer port it has."""
    ports = [f"{{containerPort: {HTTP_PORT}, name: http}}"]
    if spec.name == KEY_READER:
        ports.append(f"{{containerPort: {INTERNAL_PORT}, name: internal}}")
    if spec.deploy.listener is not None:
        ports.append(f"{{containerPort: {SERVE_PORT}, name: serve}}")
    return f"          ports: [{', '.join(ports)}]"


def listener_env(spec: ServiceSpec, zone: str) -> list[str]:
    """Return the env of a viewer listener: every address, its port, the zone's public URL."""
    listener = spec.deploy.listener
    if listener is None:
        return []
    ref = f"{{name: {LISTENER_URLS}, key: {scalar(f'{spec.name}-{zone}')}}}"
    port = scalar(str(SERVE_PORT))
    return [
        f"            - {{name: {env_name(listener.host_setting)}, value: {scalar('0.0.0.0')}}}",
        f"            - {{name: {env_name(listener.port_setting)}, value: {port}}}",
        f"            - name: {env_name(listener.url_setting)}",
        f"              valueFrom: {{configMapKeyRef: {ref}}}",
    ]


def listener_service(spec: ServiceSpec, zone: str) -> list[str]:
    """Return the load balancer viewers reach ``spec``'s listener in ``zone`` through.

    One per zone: playback names edges one by one, so each site needs an
    address of its own; the service port (management) is not on it.
    """
    return [
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        f"  name: {scalar(f'{spec.name}-serve-{zone}')}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        "  type: LoadBalancer",
        "  externalTrafficPolicy: Local",
        f"  selector: {{app: {scalar(spec.name)}, zone: {_zone(zone)}}}",
        f"  ports: [{{port: {PUBLIC_PORT}, targetPort: serve}}]",
    ]


def probes(spec: ServiceSpec) -> list[str]:
    """Return the liveness and readiness probes of ``spec``'s containers.

    A public service answers its chassis endpoints (``/health``, ``/ready``)
    only to internal networks, and kubelet's probes come from the node, as
    load-balanced public traffic may: the gateway's probes use its internal
    port; another public service's only open the port.
    """
    if spec.name == KEY_READER:
        return [
            "          livenessProbe:",
            "            httpGet: {path: /health, port: internal}",
            "          readinessProbe:",
            "            httpGet: {path: /ready, port: internal}",
        ]
    if spec.deploy.public_port is not None:
        return [
            "          livenessProbe:",
            "            tcpSocket: {port: http}",
            "          readinessProbe:",
            "            tcpSocket: {port: http}",
        ]
    return [
        "          livenessProbe:",
        "            httpGet: {path: /health, port: http}",
        "          readinessProbe:",
        "            httpGet: {path: /ready, port: http}",
    ]


def key_service(spec: ServiceSpec) -> list[str]:
    """Return the Service the gateway reads identity's public keys through (every zone)."""
    return [
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        f"  name: {scalar(spec.name)}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        f"  selector: {{app: {scalar(spec.name)}}}",
        f"  ports: [{{port: {HTTP_PORT}, targetPort: http}}]",
    ]


def zone_service(spec: ServiceSpec, zone: str) -> list[str]:
    """Return the Service that names ``spec``'s instances in ``zone`` (``registry-a``)."""
    return [
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        f"  name: {scalar(f'{spec.name}-{zone}')}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        f"  selector: {{app: {scalar(spec.name)}, zone: {_zone(zone)}}}",
        f"  ports: [{{port: {HTTP_PORT}, targetPort: http}}]",
    ]


def public_service(spec: ServiceSpec) -> list[str]:
    """Return the load balancer in front of every zone's instances of ``spec``."""
    return [
        "apiVersion: v1",
        "kind: Service",
        "metadata:",
        f"  name: {scalar(spec.name)}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        "  type: LoadBalancer",
        # Keep the client's address (no SNAT to a node's): the gateway's
        # per-client caps and its internal-network check depend on it.
        "  externalTrafficPolicy: Local",
        f"  selector: {{app: {scalar(spec.name)}}}",
        f"  ports: [{{port: {PUBLIC_PORT}, targetPort: http}}]",
    ]


def claim(item: SharedVolume) -> list[str]:
    """Return the claim of a volume every instance of its services mounts at once."""
    return [
        *comment(item.about),
        "apiVersion: v1",
        "kind: PersistentVolumeClaim",
        "metadata:",
        f"  name: {scalar(item.volume.name)}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        "  accessModes: [ReadWriteMany]",
        "  resources:",
        f"    requests: {{storage: {VOLUME_SIZE}}}",
    ]
