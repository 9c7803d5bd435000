"""Work that several targets of one run need, done once and awaited by all of them.

The run loop checks targets one by one; some commands share work between them (the
blocklist self-test decides which lists every target is asked of, the probe walks a
domain's MX hosts once for all its addresses). The first target to need it starts it;
the others await the same task, and a failure reaches each of them (each becomes its
own crash report, as a target's crash does).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

T = TypeVar("T")
K = TypeVar("K", bound=Hashable)


class Once(Generic[T]):
    """One piece of shared work; its first caller's ``make`` runs it."""

    def __init__(self) -> None:
        self._task: asyncio.Future[T] | None = None

    async def get(self, make: Callable[[], Awaitable[T]]) -> T:
        if self._task is None:
            self._task = asyncio.ensure_future(make())
        # shield: one waiting target being cancelled must not cancel the others' work.
        return await asyncio.shield(self._task)


class OncePerKey(Generic[K, T]):
    """Shared work by key (one MX walk per domain)."""

    def __init__(self) -> None:
        self._work: dict[K, Once[T]] = {}

    async def get(self, key: K, make: Callable[[], Awaitable[T]]) -> T:
        return await self._work.setdefault(key, Once()).get(make)
