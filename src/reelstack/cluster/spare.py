"""A warm spare: ``python -m reelstack.cluster.spare``.

Starting an instance costs mostly imports (the web stack, the ORM, the
service's modules): over a second on an idle laptop, several on a busy one.
A spare pays that cost ahead of time, importing what the fork server does
(:mod:`reelstack.cluster.preload`), then waits on stdin. When an instance
dies, the supervisor hands a spare the instance's identity as one JSON line
``{"env": {...}, "log": PATH}``; the spare points its stdout and stderr at the
instance's log, takes that environment and runs :mod:`reelstack.chassis.run`,
becoming the instance (same exit codes). End of input without a line means
"not needed": it exits 0.
"""

from __future__ import annotations

import json
import os
import sys

from reelstack.chassis import run
from reelstack.cluster import preload


def _preload() -> None:
    preload.import_all(preload.for_this_process())


def _become(assignment: dict[str, object]) -> int:
    env = assignment["env"]
    log = assignment["log"]
    if not isinstance(env, dict) or not isinstance(log, str):
        print(f"spare: bad assignment {assignment!r}", file=sys.stderr)
        return run.EXIT_FAILED
    fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    # settings.load() reads os.environ when the instance starts, not at import.
    os.environ.clear()
    os.environ.update({str(k): str(v) for k, v in env.items()})
    return run.main()


def main() -> int:
    """Preload, wait for an assignment, then run as the assigned instance."""
    _preload()
    line = sys.stdin.readline()
    if not line.strip():
        return 0
    return _become(json.loads(line))


if __name__ == "__main__":
    sys.exit(main())
