"""How light the local cluster is: time to every instance up, and the memory it holds.

For each scenario the benchmark runs ``reelstack up`` (a temporary home, free
ports), reads ``reelstack status --json`` once ``up`` returns, and reports:

- the time from starting ``reelstack up`` to the last instance's ``up_at``;
- the memory of every instance and every other process the supervisor keeps
  (warm spares), once the spares are ready and the cluster is idle: RSS, PSS
  and USS summed, and per instance of each service. RSS counts a page once in
  every process that maps it, so it overstates processes that share pages
  (shared libraries, and pages a forked child still shares with its parent);
  PSS divides each shared page among its sharers, so the PSS sum is what the
  processes together hold. The memory target is judged by the PSS sum.

The anchor, measured in the same run: a bare Python process that only imports
FastAPI and uvicorn (its time from spawn to exit, and its RSS/PSS/USS), the
floor under any instance.

Scenarios (``BENCH_CLUSTER_SCENARIOS``, comma-separated):

- ``default``: the built-in services at their default instance counts;
- ``plus10``: the same plus 10 services written from a template (``svc01`` ..
  ``svc10``: a FastAPI app through the chassis on the sql and cache ports, a
  route, pydantic schemas and a SQLAlchemy table, no migrations), the kind the
  next services are, added through ``services.extra``.

Targets (``plus10``, idle machine): every instance up within 20 s of
``reelstack up``; the instances and spares together at most 3 GiB (PSS).
Every figure line is followed by the load average, since this machine's cores
are shared: compare figures as ratios to the anchor of the same run.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.common import Result, cli, header, report
from reelstack.cluster import statefile

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = os.environ.get("BENCH_CLUSTER_SCENARIOS", "default,plus10").split(",")
EXTRA_SERVICES = 10
ANCHOR_ROUNDS = 3
UP_TIMEOUT_S = 300
# The cluster counts as idle once all its processes together use less than
# this share of one core (health checks and heartbeats never stop).
IDLE_CPU = 0.25
SETTLE_TIMEOUT_S = 120
MIB = 1024 * 1024
ANCHOR = "python importing fastapi+uvicorn"
ANCHOR_CODE = (
    "import fastapi, uvicorn, sys\nsys.stdout.write(open('/proc/self/smaps_rollup').read())\n"
)


@dataclass(frozen=True)
class Memory:
    rss: float
    pss: float
    uss: float

    def __add__(self, other: Memory) -> Memory:
        return Memory(self.rss + other.rss, self.pss + other.pss, self.uss + other.uss)


ZERO = Memory(0, 0, 0)


@dataclass(frozen=True)
class Anchor:
    start_s: float
    memory: Memory


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def note(text: str) -> None:
    print(f"# {text}", flush=True)


def smaps_rollup(text: str) -> Memory:
    """Return RSS, PSS and USS (private pages) from /proc/PID/smaps_rollup's text."""
    fields: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            fields[parts[0][:-1]] = int(parts[1]) * 1024
    uss = fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)
    return Memory(fields.get("Rss", 0), fields.get("Pss", 0), uss)


def measure_anchor(*, bytecode: bool = True) -> Anchor:
    """Spawn the bare import ``ANCHOR_ROUNDS`` times; return the medians.

    ``bytecode=False`` hides every compiled module (an empty pycache prefix),
    so the figure does not change when the venv's bytecode does: a yardstick
    of the machine's speed to compare runs before and after compiling.
    """
    times: list[float] = []
    memories: list[Memory] = []
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="bench-pycache-") as empty:
        if not bytecode:
            env.update(PYTHONPYCACHEPREFIX=empty, PYTHONDONTWRITEBYTECODE="1")
        for _ in range(ANCHOR_ROUNDS):
            started = time.monotonic()
            out = subprocess.run(
                [sys.executable, "-c", ANCHOR_CODE],
                env=env,
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            times.append(time.monotonic() - started)
            memories.append(smaps_rollup(out))
    return Anchor(
        statistics.median(times),
        Memory(
            statistics.median(m.rss for m in memories),
            statistics.median(m.pss for m in memories),
            statistics.median(m.uss for m in memories),
        ),
    )


# -- the template services -------------------------------------------------------------

TEMPLATE = {
    "__init__.py": '"""A template service for the cluster benchmark."""\n',
    "spec.py": """
        from reelstack.chassis.spec import ServiceSpec

        SPEC = ServiceSpec(
            name="{name}",
            app="{name}.app:create_app",
            ports=("sql", "cache"),
            routes=("/api/{name};public;rewrite=/{name}",),
        )
    """,
    "schemas.py": """
        from pydantic import BaseModel


        class Item(BaseModel):
            id: int
            name: str
    """,
    "models.py": """
        from sqlalchemy import Column, Integer, MetaData, String, Table

        metadata = MetaData()
        items = Table(
            "{name}_items",
            metadata,
            Column("id", Integer, primary_key=True),
            Column("name", String(200), nullable=False),
        )
    """,
    "app.py": """
        from fastapi import APIRouter, FastAPI

        from reelstack.chassis.app import create_service_app
        from reelstack.config import Config
        from {name} import models
        from {name}.schemas import Item


        def create_app(config: Config) -> FastAPI:
            router = APIRouter(prefix="/{name}")

            @router.get("/items")
            async def items() -> list[Item]:
                return [Item(id=1, name=models.items.name)]

            return create_service_app(
                config, routers=[router], ports=["sql", "cache"], service="{name}"
            )
    """,
}


def write_template_services(root: Path, count: int) -> list[str]:
    """Write ``count`` template service packages under ``root``; return their names."""
    names = [f"svc{index:02d}" for index in range(1, count + 1)]
    for name in names:
        package = root / name
        package.mkdir(parents=True)
        for filename, text in TEMPLATE.items():
            source = textwrap.dedent(text).lstrip().replace("{name}", name)
            (package / filename).write_text(source)
    return names


# -- one cluster run -------------------------------------------------------------------


@dataclass
class ClusterRun:
    instances: int
    up_s: float
    up_returned_s: float
    idle_after_s: float
    instance_memory: Memory
    other_memory: Memory  # spares and anything else the supervisor runs
    others: int
    supervisor: Memory
    by_service: dict[str, list[Memory]]
    load_up: str
    load_idle: str

    @property
    def total(self) -> Memory:
        return self.instance_memory + self.other_memory


def memory_of(proc: psutil.Process) -> Memory | None:
    try:
        info = proc.memory_full_info()
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    return Memory(info.rss, info.pss, info.uss)


def cluster_processes(supervisor: psutil.Process) -> list[psutil.Process]:
    return [p for p in supervisor.children(recursive=True) if p.is_running()]


def cpu_seconds(procs: list[psutil.Process]) -> float:
    total = 0.0
    for proc in procs:
        try:
            times = proc.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def wait_until_idle(
    supervisor: psutil.Process, instance_pids: set[int], spares: int
) -> list[psutil.Process]:
    """Wait until ``spares`` non-instance processes run and the cluster is idle."""
    deadline = time.monotonic() + SETTLE_TIMEOUT_S
    while True:
        procs = cluster_processes(supervisor)
        others = [p for p in procs if p.pid not in instance_pids]
        before = cpu_seconds([supervisor, *procs])
        time.sleep(2.0)
        used = (cpu_seconds([supervisor, *procs]) - before) / 2.0
        if len(others) >= spares and used < IDLE_CPU:
            return procs
        if time.monotonic() > deadline:
            note(f"not idle after {SETTLE_TIMEOUT_S}s ({used:.2f} cores busy); measuring anyway")
            return procs


def run_cluster(tmp: Path, extra: list[str]) -> ClusterRun:
    """Start a cluster, measure it, stop it."""
    home = tmp / "home"
    env = {
        **os.environ,
        # A PYTHONPATH given to the benchmark comes first: it may point at
        # another checkout's src/ to measure that code with this venv.
        "PYTHONPATH": os.pathsep.join(
            [*filter(None, [os.environ.get("PYTHONPATH")]), str(tmp / "services"), str(ROOT)]
        ),
        "REELSTACK_HOME": str(home),
        "REELSTACK_CLUSTER_CONTROL_PORT": "0",
        "REELSTACK_GATEWAY_PORT": "0",
        "REELSTACK_CLUSTER_REGISTRY_PORTS": "0,0",
        "REELSTACK_SERVICES_EXTRA": ",".join(extra),
    }
    spares = int(env.get("REELSTACK_CLUSTER_SPARES", "1"))
    started = time.time()
    try:
        cli(env, "up", "--timeout", str(UP_TIMEOUT_S), timeout=UP_TIMEOUT_S + 30)
        returned = time.time()
        load_up = loadavg()
        views: list[dict[str, Any]] = json.loads(cli(env, "status", "--json"))
        record = statefile.read(home)
        if record is None:
            raise RuntimeError("the cluster is up but wrote no state file")
        supervisor = psutil.Process(record.pid)
        instance_pids = {int(view["pid"]) for view in views}
        procs = wait_until_idle(supervisor, instance_pids, spares)
        idle = time.time()
        load_idle = loadavg()
        by_service: dict[str, list[Memory]] = defaultdict(list)
        service_of = {int(view["pid"]): view["service"] for view in views}
        instance_memory = other_memory = ZERO
        others = 0
        for proc in procs:
            memory = memory_of(proc)
            if memory is None:
                continue
            if proc.pid in service_of:
                by_service[service_of[proc.pid]].append(memory)
                instance_memory += memory
            else:
                others += 1
                other_memory += memory
        supervisor_memory = memory_of(supervisor) or ZERO
    finally:
        cli(env, "down", timeout=120)
    return ClusterRun(
        instances=len(views),
        up_s=max(float(view["up_at"]) for view in views) - started,
        up_returned_s=returned - started,
        idle_after_s=idle - started,
        instance_memory=instance_memory,
        other_memory=other_memory,
        others=others,
        supervisor=supervisor_memory,
        by_service=dict(by_service),
        load_up=load_up,
        load_idle=load_idle,
    )


def mib(memory: Memory) -> str:
    rss, pss, uss = (round(value / MIB) for value in (memory.rss, memory.pss, memory.uss))
    return f"RSS {rss:,} PSS {pss:,} USS {uss:,} MiB"


def report_run(scenario: str, run: ClusterRun, anchor: Anchor) -> None:
    targets = scenario == "plus10"
    label = f"cluster {scenario} ({run.instances} instances, {run.others} others)"
    report(
        Result(
            f"{label}: up to every instance up",
            run.up_s,
            "s",
            f"{ANCHOR} start",
            anchor.start_s,
            "<= 20 s idle" if targets else "",
        )
    )
    note(f"load {run.load_up} when up returned ({run.up_returned_s:.1f}s)")
    total = run.total
    for kind, figure, anchor_figure, target in (
        ("PSS", total.pss, anchor.memory.pss, "<= 3072 MiB" if targets else ""),
        ("RSS", total.rss, anchor.memory.rss, ""),
        ("USS", total.uss, anchor.memory.uss, ""),
    ):
        report(
            Result(
                f"{label}: {kind} instances+spares",
                figure / MIB,
                "MiB",
                f"{ANCHOR} {kind}",
                anchor_figure / MIB,
                target,
            )
        )
    per_instance = run.instance_memory.pss / max(run.instances, 1)
    report(
        Result(
            f"{label}: PSS per instance",
            per_instance / MIB,
            "MiB",
            f"{ANCHOR} PSS",
            anchor.memory.pss / MIB,
        )
    )
    note(f"load {run.load_idle} when measured, idle {run.idle_after_s:.1f}s after up started")
    for service, memories in sorted(run.by_service.items()):
        mean = Memory(
            statistics.mean(m.rss for m in memories),
            statistics.mean(m.pss for m in memories),
            statistics.mean(m.uss for m in memories),
        )
        note(f"  {service}: {len(memories)} x {mib(mean)}")
    note(f"  spares and others: {run.others}, {mib(run.other_memory)}")
    note(f"  supervisor (not counted): {mib(run.supervisor)}")


def main() -> None:
    header()
    note(f"load {loadavg()} at start")
    anchor = measure_anchor()
    note(f"anchor: start {anchor.start_s:.2f}s, {mib(anchor.memory)}; load {loadavg()}")
    cold = measure_anchor(bytecode=False)
    note(f"anchor without bytecode: start {cold.start_s:.2f}s; load {loadavg()}")
    for scenario in SCENARIOS:
        with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
            root = Path(tmp)
            count = EXTRA_SERVICES if scenario == "plus10" else 0
            extra = write_template_services(root / "services", count)
            run = run_cluster(root, extra)
        report_run(scenario, run, anchor)


if __name__ == "__main__":
    main()
