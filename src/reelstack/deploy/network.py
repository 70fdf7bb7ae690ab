"""Who may reach whom: the call graph from the specs, and ``deploy/k8s/network.yaml``.

Nothing in the namespace takes a connection unless a policy here lets it:

- the gateway, from anywhere, on its HTTP port only (the public door);
- a service with a viewer listener (an edge), from anywhere on that port
  only; its HTTP port (management) is like any other service's;
- every other service, on its HTTP port, only from the services that call
  it: the gateway for a service with routes (and for ``identity``'s keys),
  every service for the registry (it registers and discovers there), the
  registries for each other (peer replication), and what each spec names
  in ``deploy.calls``;
- Prometheus, on every port of every service (so an internal metrics port
  needs no change here);
- each engine, on its client port, only from the services whose spec asks
  for its port (``sql`` reaches PostgreSQL, ``log`` Kafka...), and from its
  own pods on the ports its nodes talk to each other on.

The same graph chooses the compose networks (:mod:`.compose`). Kubelet
probes come from the node, which network policies always allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from reelstack.chassis.spec import ServiceSpec
from reelstack.deploy.k8s import KEY_READER, KEY_SERVICE, NAMESPACE
from reelstack.deploy.layout import HTTP_PORT, SERVE_PORT
from reelstack.deploy.text import comment, scalar
from reelstack.errors import SpecError
from reelstack.registry.spec import SPEC as REGISTRY_SPEC

GATEWAY = KEY_READER
REGISTRY = REGISTRY_SPEC.name
PROMETHEUS = "prometheus"
"""The ``app`` label of the Prometheus pods (``deploy/k8s/engines.yaml``)."""


@dataclass(frozen=True)
class Engine:
    """An engine behind one port role: its pods' ``app`` label and the ports it serves."""

    app: str
    role: str
    port: int
    peer_ports: tuple[int, ...] = ()
    """Ports its own nodes use between them (replication, the controller quorum)."""


ENGINES: tuple[Engine, ...] = (
    Engine("postgres", "sql", 5432),
    Engine("kafka", "log", 9092, peer_ports=(9092, 9093)),
    Engine("cassandra", "widecolumn", 9042, peer_ports=(7000,)),
    Engine("memcached", "cache", 11211),
    Engine("minio", "blob", 9000),
)
"""The engines of ``deploy/k8s/engines.yaml`` and the compose file, by the port they serve."""


def callers(spec: ServiceSpec, specs: Sequence[ServiceSpec]) -> list[str]:
    """Return the services that send requests to ``spec``'s instances, sorted.

    The gateway is not listed: it may reach only what it routes to (and the
    keys), but everyone may reach the gateway.
    """
    found: set[str] = set()
    if spec.name == REGISTRY:
        found.update(other.name for other in specs)
    for other in specs:
        if spec.name in other.deploy.calls:
            found.add(other.name)
    if spec.routes or spec.name == KEY_SERVICE:
        found.add(GATEWAY)
    return sorted(found)


def users(engine: Engine, specs: Iterable[ServiceSpec]) -> list[str]:
    """Return the services whose spec asks for ``engine``'s port, in spec order."""
    return [spec.name for spec in specs if engine.role in spec.ports]


def _apps(names: Sequence[str]) -> str:
    values = ", ".join(scalar(name) for name in names)
    return (
        f"{{podSelector: {{matchExpressions: [{{key: app, operator: In, values: [{values}]}}]}}}}"
    )


def _policy(name: str, about: str, app: str, rules: list[list[str]]) -> list[str]:
    lines = [
        *comment(about),
        "apiVersion: networking.k8s.io/v1",
        "kind: NetworkPolicy",
        "metadata:",
        f"  name: {scalar(name)}",
        f"  namespace: {NAMESPACE}",
        "spec:",
        f"  podSelector: {{matchLabels: {{app: {scalar(app)}}}}}",
        "  policyTypes: [Ingress]",
        "  ingress:" if rules else "  ingress: []",
    ]
    for rule in rules:
        lines += [f"    - {rule[0]}", *(f"      {line}" for line in rule[1:])]
    return lines


def _ports(*ports: int) -> str:
    return "ports: [" + ", ".join(f"{{protocol: TCP, port: {p}}}" for p in ports) + "]"


def service_policy(spec: ServiceSpec, specs: Sequence[ServiceSpec]) -> list[str]:
    """Return the policy of ``spec``'s pods: its callers on HTTP, Prometheus on any port."""
    rules: list[list[str]] = []
    if spec.name == GATEWAY:
        rules.append([_ports(HTTP_PORT)])
        about = "The public door: anyone, on the HTTP port only."
    else:
        who = callers(spec, specs)
        about = f"Called by {', '.join(who)}." if who else "Called by no service."
        if who:
            rules.append([f"from: [{_apps(who)}]", _ports(HTTP_PORT)])
    if spec.deploy.listener is not None:
        rules.append([_ports(SERVE_PORT)])
        about += " Viewers, from anywhere, on its serving port only."
    rules.append([f"from: [{{podSelector: {{matchLabels: {{app: {PROMETHEUS}}}}}}}]"])
    return _policy(spec.name, f"{about} Scraped by Prometheus.", spec.name, rules)


def engine_policy(engine: Engine, specs: Sequence[ServiceSpec]) -> list[str]:
    """Return the policy of ``engine``'s pods: its users on its port, its own nodes."""
    who = users(engine, specs)
    rules: list[list[str]] = []
    if who:
        rules.append([f"from: [{_apps(who)}]", _ports(engine.port)])
    if engine.peer_ports:
        rules.append(
            [
                f"from: [{{podSelector: {{matchLabels: {{app: {scalar(engine.app)}}}}}}}]",
                _ports(*engine.peer_ports),
            ]
        )
    about = f"Used by {', '.join(who)} (port {engine.role})." if who else "Used by no service."
    return _policy(engine.app, about, engine.app, rules)


HEADER = """\
# Who may reach whom in the reelstack namespace. Nothing takes a connection
# unless a policy below lets it: the gateway from anywhere on its HTTP port,
# an edge from anywhere on its serving port;
# each service only from the services that call it (the specs' deploy.calls,
# the gateway's routes, everyone to the registry) and from Prometheus; each
# engine only from the services whose spec asks for its port. Needs a network
# plugin that enforces NetworkPolicy (Calico, Cilium...); without one these
# are silently ignored.
#
# Written by `reelstack deploy render` (make deploy-render) from each service's
# spec (<package>/spec.py): edit the spec or src/reelstack/deploy/, not this file.
"""

DEFAULT_DENY = [
    "# Every pod of the namespace refuses connections no other policy allows.",
    "apiVersion: networking.k8s.io/v1",
    "kind: NetworkPolicy",
    "metadata:",
    "  name: default-deny-ingress",
    f"  namespace: {NAMESPACE}",
    "spec:",
    "  podSelector: {}",
    "  policyTypes: [Ingress]",
]


PROMETHEUS_POLICY = _policy(
    PROMETHEUS,
    "Prometheus scrapes and is reached by nobody (it has no authentication):"
    " kubectl port-forward to see it.",
    PROMETHEUS,
    [],
)


def render(specs: Iterable[ServiceSpec]) -> str:
    """Return ``deploy/k8s/network.yaml`` for ``specs``.

    Raises SpecError for a ``deploy.calls`` naming no service of ``specs``:
    the call would be refused by the policies.
    """
    specs = list(specs)
    names = {spec.name for spec in specs}
    for spec in specs:
        unknown = sorted(set(spec.deploy.calls) - names)
        if unknown:
            raise SpecError(spec.name, f"deploy.calls names no service: {', '.join(unknown)}")
    docs = [DEFAULT_DENY]
    docs += [service_policy(spec, specs) for spec in specs]
    docs += [engine_policy(engine, specs) for engine in ENGINES]
    docs.append(PROMETHEUS_POLICY)
    return HEADER + "\n---\n".join("\n".join(doc) for doc in docs) + "\n"
