"""Children that die with their parent (Linux ``prctl(PR_SET_PDEATHSIG)``).

A leaf module, importing nothing of reelstack's, so the supervisor (its
instances) and the ffmpeg wrapper (its encoders) share one implementation.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

PR_SET_PDEATHSIG = 1


def _load_prctl() -> Callable[..., int] | None:
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


_PRCTL = _load_prctl()


def parent_death_signal(sig: signal.Signals = signal.SIGTERM) -> Callable[[], None] | None:
    """Return a ``preexec_fn`` making the child receive ``sig`` when its parent dies.

    Linux only; None elsewhere. The function runs between fork and exec, so it
    only calls what was resolved beforehand.
    """
    if _PRCTL is None:
        return None
    prctl = _PRCTL
    parent = os.getpid()

    def preexec() -> None:
        prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        # The parent may have died before prctl took effect.
        if os.getppid() != parent:
            os.kill(os.getpid(), int(sig))

    return preexec
