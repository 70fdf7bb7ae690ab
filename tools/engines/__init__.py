"""Real engines for the contract tests: install, start, stop, on 127.0.0.1.

``python -m tools.engines up [NAME ...]`` installs (cached) and starts each
engine with its data under ``.engines/``, waits until each is ready, and
records addresses in ``.engines/state.json``; ``down`` stops them and removes
their data. Tests read the state through :mod:`tests.support.engines`. ``make test``
runs ``up`` before the suites and ``down`` after; ``make engines-up`` keeps
them running for repeated test runs.
"""

from __future__ import annotations

import fcntl
import importlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.engines.core import (
    Context,
    Engine,
    EngineError,
    EngineState,
    alive,
    cache_root,
    spawn_process,
    state_dir,
    stop_process,
    wait_until,
    write_json,
)

# name -> "module:Class"; imported only when used. An engine joins here when
# its module and its adapter's contract tests are in.
ENGINES: dict[str, str] = {
    "cassandra": "tools.engines.cassandra:Cassandra",
    "kafka": "tools.engines.kafka:Kafka",
    "memcached": "tools.engines.memcached:Memcached",
    "postgres": "tools.engines.postgres:Postgres",
    "prometheus": "tools.engines.prometheus:Prometheus",
    "s3": "tools.engines.s3:S3",
}

__all__ = ["ENGINES", "EngineError", "down", "engine", "load_state", "restart_process", "up"]


def engine(name: str) -> Engine:
    """Return the engine called ``name``."""
    try:
        target = ENGINES[name]
    except KeyError:
        raise EngineError(f"unknown engine {name!r}; known: {', '.join(ENGINES)}") from None
    module_name, _, attr = target.partition(":")
    cls: Any = getattr(importlib.import_module(module_name), attr)
    instance: Engine = cls()
    return instance


def context(name: str) -> Context:
    return Context(name=name, run_dir=state_dir() / "run" / name, cache_dir=cache_root() / name)


def state_path() -> Path:
    return state_dir() / "state.json"


def load_state() -> dict[str, EngineState]:
    """Every started engine's state, by name (empty when none runs)."""
    try:
        data = json.loads(state_path().read_text())
    except FileNotFoundError:
        return {}
    return {name: EngineState.from_json(item) for name, item in data.items()}


def _record(name: str, state: EngineState | None) -> None:
    """Record (or forget) one engine's state, keeping what other runs recorded meanwhile."""
    path = state_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        states = load_state()
        if state is None:
            states.pop(name, None)
        else:
            states[name] = state
        write_json(path, {n: s.to_json() for n, s in states.items()})


def _running(state: EngineState) -> bool:
    return bool(state.processes) and all(alive(p) for p in state.processes.values())


def up(names: Sequence[str] = ()) -> dict[str, EngineState]:
    """Install and start the named engines (all by default) unless already running."""
    names = list(names) or list(ENGINES)
    states = load_state()
    for name in names:
        current = states.get(name)
        if current is not None and _running(current):
            print(f"engines: {name} already running", flush=True)
            continue
        if current is not None:
            _stop(current)
        eng = engine(name)
        ctx = context(name)
        shutil.rmtree(ctx.run_dir, ignore_errors=True)
        ctx.cache_dir.mkdir(parents=True, exist_ok=True)
        began = time.monotonic()
        print(f"engines: installing {name}", flush=True)
        eng.install(ctx)
        installed = time.monotonic()
        print(f"engines: starting {name}", flush=True)
        try:
            state = eng.start(ctx)
        except Exception:
            # Leave nothing half-started behind.
            for process in ctx.spawned:
                stop_process(process, grace_s=5)
            raise
        state.started_s = round(time.monotonic() - installed, 1)
        states[name] = state
        _record(name, state)
        print(
            f"engines: {name} ready in {state.started_s}s"
            f" (install {installed - began:.1f}s): {state.env}",
            flush=True,
        )
    return states


def _stop(state: EngineState) -> None:
    for process in state.processes.values():
        stop_process(process)


def down(names: Sequence[str] = ()) -> None:
    """Stop the named engines (all by default) and remove their data."""
    states = load_state()
    for name in list(names) or list(states):
        state = states.pop(name, None)
        if state is None:
            continue
        _stop(state)
        _record(name, None)
        shutil.rmtree(context(name).run_dir, ignore_errors=True)
        print(f"engines: {name} stopped", flush=True)


def stop_one(name: str, proc_name: str, *, hard: bool = False) -> None:
    """Stop one process of a running engine (a broker, a zone's server)."""
    state = load_state()[name]
    stop_process(state.processes[proc_name], hard=hard)


def restart_process(name: str, proc_name: str, *, timeout_s: float = 120) -> None:
    """Start one stopped process of an engine again and wait until it serves."""
    states = load_state()
    state = states[name]
    process = state.processes[proc_name]
    if not alive(process):
        spawn_process(process)
        _record(name, state)
    eng = engine(name)
    wait_until(
        lambda: eng.ready(state, proc_name),
        what=f"{name}/{proc_name}",
        timeout_s=timeout_s,
        processes=[process],
    )


def run(command: Sequence[str]) -> int:
    """Start every engine not running yet, run ``command``, stop those it started."""
    before = {name for name, state in load_state().items() if _running(state)}
    try:
        up()
        return subprocess.call(list(command))
    finally:
        started = [name for name in load_state() if name not in before]
        if started:
            down(started)


def scale_profile(states: dict[str, EngineState]) -> str:
    """Return a ``reelstack.scale.toml`` naming every running engine behind its port."""
    env: dict[str, str] = {}
    for state in states.values():
        env.update(state.env)
    needed = {
        "REELSTACK_TEST_KAFKA": "kafka",
        "REELSTACK_TEST_CASSANDRA": "cassandra",
        "REELSTACK_TEST_POSTGRES": "postgres",
        "REELSTACK_TEST_MEMCACHED_A": "memcached",
        "REELSTACK_TEST_S3": "s3",
    }
    missing = sorted({name for variable, name in needed.items() if variable not in env})
    if missing:
        raise EngineError(f"start these engines first: {', '.join(missing)}")
    urls = {
        "log": f"kafka://{env['REELSTACK_TEST_KAFKA']}",
        "widecolumn": f"cassandra://{env['REELSTACK_TEST_CASSANDRA']}/reelstack",
        "sql": env["REELSTACK_TEST_POSTGRES"],
        "cache": (
            f"memcached://a={env['REELSTACK_TEST_MEMCACHED_A']}"
            f";b={env.get('REELSTACK_TEST_MEMCACHED_B', env['REELSTACK_TEST_MEMCACHED_A'])}"
        ),
        "blob": f"s3://reelstack?endpoint={env['REELSTACK_TEST_S3']}&region=us-east-1",
    }
    lines = ["# Written by `python -m tools.engines profile`: the engines of `make engines-up`."]
    for section, url in urls.items():
        lines += ["", f"[{section}]", f'url = "{url}"']
        if section == "log":
            lines += ["replication_factor = 3"]
        if section == "blob":
            # The test S3 server takes any credentials; a real one needs its own.
            lines += ['s3_access_key_id = "reelstack"', 's3_secret_access_key = "reelstack"']
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str]) -> int:
    usage = (
        "usage: python -m tools.engines up|down|status|env [ENGINE ...]\n"
        "       python -m tools.engines profile [HOME]\n"
        "       python -m tools.engines run -- COMMAND ..."
    )
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    command, names = argv[0], argv[1:]
    try:
        if command == "run":
            return run(names[1:] if names[:1] == ["--"] else names)
        if command == "profile":
            home = Path(names[0]) if names else Path(".reelstack")
            home.mkdir(parents=True, exist_ok=True)
            target = home / "reelstack.scale.toml"
            target.write_text(scale_profile(load_state()))
            print(f"wrote {target}; start with: reelstack --home {home} up --profile scale")
            return 0
        if command == "up":
            up(names)
        elif command == "down":
            down(names)
        elif command == "status":
            for name, state in load_state().items():
                status = "running" if _running(state) else "NOT running"
                print(f"{name}: {status} {state.env}")
        elif command == "env":
            for state in load_state().values():
                for key, value in state.env.items():
                    print(f"export {key}={value}")
        else:
            print(usage, file=sys.stderr)
            return 2
    except EngineError as exc:
        print(f"engines: {exc}", file=sys.stderr)
        return 1
    return 0
