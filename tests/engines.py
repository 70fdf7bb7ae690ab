"""Where the real engines are: moved to :mod:`tests.support.engines`; kept so its imports work."""

from __future__ import annotations

from tests.support.engines import engine_env, require, required

__all__ = ["engine_env", "require", "required"]
