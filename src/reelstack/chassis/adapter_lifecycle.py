"""The adapters a service declared: opened at start, retried, checked, closed.

An adapter whose engine is unreachable at start does not stop the instance:
it starts anyway, ``/ready`` names the dependency and why, and a background
task keeps trying to open it with exponential backoff. A damaged embedded
store (:class:`StoreCorruptError`) is different: retrying cannot fix it, so it
is fatal and the instance exits non-zero.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from reelstack.bootstrap import FACTORIES, URL_SETTINGS, Adapters
from reelstack.config import Config
from reelstack.errors import StoreCorruptError, UnavailableError

log = logging.getLogger(__name__)

OnOpen = Callable[[Any], Awaitable[None]]

PING_TIMEOUT_S = 2.0
RETRY_FIRST_S = 0.5
RETRY_MAX_S = 15.0

# Errors that mean "not reachable yet": worth retrying in the background.
RETRYABLE: tuple[type[Exception], ...] = (UnavailableError, OSError, TimeoutError)


def adapter_installed(config: Config, role: str) -> bool:
    """Whether the adapter module that ``role``'s URL setting selects can be imported."""
    scheme = urlsplit(config.get(URL_SETTINGS[role])).scheme
    target = FACTORIES[role].get(scheme)
    if target is None:
        return False
    try:
        return importlib.util.find_spec(target.partition(":")[0]) is not None
    except ModuleNotFoundError:
        return False


class AdapterLifecycle:
    """Opens, retries, checks and closes the adapters for a service's roles."""

    def __init__(
        self,
        adapters: Adapters,
        roles: Sequence[str],
        *,
        on_open: Mapping[str, OnOpen] | None = None,
        on_fatal: Callable[[BaseException], None] | None = None,
        retry_first_s: float | None = None,
        retry_max_s: float | None = None,
    ) -> None:
        for role in roles:
            if role not in URL_SETTINGS:
                raise ValueError(f"unknown adapter role {role!r}; known: {sorted(URL_SETTINGS)}")
        self.adapters = adapters
        self.roles = tuple(roles)
        self.on_open = dict(on_open or {})
        self.on_fatal = on_fatal
        self.retry_first_s = RETRY_FIRST_S if retry_first_s is None else retry_first_s
        self.retry_max_s = RETRY_MAX_S if retry_max_s is None else retry_max_s
        self._open: set[str] = set()
        self._errors: dict[str, str] = {}
        self._retries: dict[str, asyncio.Task[None]] = {}

    def is_open(self, role: str) -> bool:
        """Whether ``role``'s adapter is open and its start-up hook has run."""
        return role in self._open

    def get(self, role: str) -> Any:
        """Return ``role``'s adapter; raise UnavailableError if it is not open yet."""
        if role not in self._open:
            reason = self._errors.get(role, "not opened")
            raise UnavailableError(f"{role} is not available: {reason}")
        return getattr(self.adapters, role)

    async def _open_one(self, role: str) -> None:
        adapter = getattr(self.adapters, role)
        await adapter.open()
        hook = self.on_open.get(role)
        if hook is not None:
            await hook(adapter)
        self._open.add(role)
        self._errors.pop(role, None)

    async def start(self) -> None:
        """Open every role; unreachable ones are retried in the background.

        Raises StoreCorruptError (or any unexpected error) so start-up fails.
        """
        for role in self.roles:
            try:
                await self._open_one(role)
            except StoreCorruptError:
                log.error("cannot open %s: its store is corrupt", role, exc_info=True)
                raise
            except RETRYABLE as exc:
                self._errors[role] = f"{type(exc).__name__}: {exc}"
                log.warning(
                    "cannot open %s yet, retrying in the background: %s",
                    role,
                    exc,
                    extra={"dependency": role},
                )
                self._retries[role] = asyncio.create_task(self._retry(role), name=f"open-{role}")

    async def _retry(self, role: str) -> None:
        delay = self.retry_first_s
        while True:
            await asyncio.sleep(delay)
            try:
                await self._open_one(role)
            except RETRYABLE as exc:
                self._errors[role] = f"{type(exc).__name__}: {exc}"
                delay = min(delay * 2, self.retry_max_s)
                log.info("still cannot open %s: %s", role, exc, extra={"dependency": role})
                continue
            except Exception as exc:
                log.error("cannot open %s", role, exc_info=True, extra={"dependency": role})
                self._errors[role] = f"{type(exc).__name__}: {exc}"
                if self.on_fatal is not None:
                    self.on_fatal(exc)
                return
            log.info("opened %s", role, extra={"dependency": role})
            return

    async def check(self) -> dict[str, str | None]:
        """Return each role with None if it answers, else why it does not."""

        async def one(role: str) -> str | None:
            if role not in self._open:
                return self._errors.get(role, "not opened")
            try:
                await asyncio.wait_for(getattr(self.adapters, role).ping(), PING_TIMEOUT_S)
            except TimeoutError:
                return f"no answer to ping within {PING_TIMEOUT_S:g}s"
            except Exception as exc:  # noqa: BLE001 - any failure means not ready; we report it
                return f"{type(exc).__name__}: {exc}"
            return None

        results = await asyncio.gather(*(one(role) for role in self.roles))
        return dict(zip(self.roles, results, strict=True))

    async def stop(self) -> None:
        """Stop retrying and close every adapter built."""
        tasks = list(self._retries.values())
        self._retries.clear()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._open.clear()
        try:
            await self.adapters.close()
        except Exception:
            log.exception("closing adapters failed")
