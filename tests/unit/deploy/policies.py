"""A small evaluator of Kubernetes NetworkPolicies (ingress, pod selectors, ports).

Enough of the semantics to ask "may a pod labelled X open port P on a pod
labelled Y" of the rendered files: a pod selected by no policy takes
everything; a selected pod takes a connection when some rule of some policy
selecting it matches both the source (no ``from``: anyone) and the port (no
``ports``: any). A source of None is outside the cluster.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

Labels = Mapping[str, str]


def _selects(selector: Mapping[str, Any], labels: Labels) -> bool:
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions") or []:
        present = labels.get(expression["key"])
        if expression["operator"] == "In" and present not in expression["values"]:
            return False
        if expression["operator"] not in ("In",):
            raise AssertionError(f"operator {expression['operator']} not modelled")
    return True


def _peer_matches(peer: Mapping[str, Any], source: Labels | None) -> bool:
    assert set(peer) == {"podSelector"}, f"peer {peer} not modelled"
    return source is not None and _selects(peer["podSelector"], source)


def allowed(
    policies: Iterable[Mapping[str, Any]], source: Labels | None, target: Labels, port: int
) -> bool:
    """Return whether ``source`` may connect to ``port`` of a pod labelled ``target``."""
    selecting = [p for p in policies if _selects(p["spec"]["podSelector"], target)]
    if not selecting:
        return True
    for policy in selecting:
        for rule in policy["spec"].get("ingress") or []:
            peers = rule.get("from")
            if peers is not None and not any(_peer_matches(peer, source) for peer in peers):
                continue
            ports = rule.get("ports")
            if ports is not None and not any(item["port"] == port for item in ports):
                continue
            return True
    return False
