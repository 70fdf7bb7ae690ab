"""What the operator sees of an attack: the counters on ``/metrics`` and the log lines.

Issue 11 asks that every refusal reach the operator as a metric and a log
line. A test reads a counter before and after its attack (the difference,
never an absolute: other tests of the session count too), and looks for the
refusal's log line in the instance's log under the cluster's home.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from tests.support.wait import wait_until


def counter(base: str, name: str, headers: dict[str, str] | None = None, **labels: str) -> float:
    """Return the sum of ``name``'s samples at ``base``/metrics whose labels include ``labels``."""
    answer = httpx.get(f"{base}/metrics", headers=headers or {}, timeout=60)
    assert answer.status_code == 200, answer.text[:200]
    total = 0.0
    for line in answer.text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _, value = line.rpartition(" ")
        metric, _, rest = series.partition("{")
        if metric != name:
            continue
        pairs = dict(pair.split("=", 1) for pair in rest.rstrip("}").split(",") if "=" in pair)
        if all(pairs.get(key) == f'"{wanted}"' for key, wanted in labels.items()):
            total += float(value)
    return total


def wait_logged(home: Path, instance: str, logger: str, text: str) -> str:
    """Wait until ``instance``'s log holds a line from ``logger`` containing ``text``; return it."""
    path = home / "logs" / f"{instance}.log"

    def find() -> str:
        for line in path.read_text(errors="replace").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue  # a plain line (a child's own output)
            if record.get("logger") == logger and text in record.get("message", ""):
                return str(record["message"])
        return ""

    return wait_until(find, f"{instance} logging {text!r} from {logger}")
