"""The time dkimpy's verification takes as "now", set per thread.

dkimpy judges t= (in the future) and x= (in the past) inside its own
``validate_signature_fields`` by reading ``time.time()``, and neither ``ARC.verify``
nor ``DKIM.verify`` takes a time. The DKIM path here judges t= and x= itself, but ARC
verification runs whole inside dkimpy, so to verify a chain as of ``--at`` dkimpy's
module-level ``time`` is replaced, once, by a stand-in: it answers the time set for
the calling thread, and the real clock everywhere else (signing, other threads).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import Any


class _ThreadClock:
    def __init__(self, real: ModuleType) -> None:
        self._real = real
        self._local = threading.local()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def time(self) -> float:
        at: float | None = getattr(self._local, "at", None)
        return self._real.time() if at is None else at

    @contextmanager
    def fixed(self, at: float) -> Iterator[None]:
        previous = getattr(self._local, "at", None)
        self._local.at = at
        try:
            yield
        finally:
            self._local.at = previous


_INSTALL = threading.Lock()


def _clock() -> _ThreadClock:
    import dkim

    with _INSTALL:
        clock = vars(dkim).get("time")
        if not isinstance(clock, _ThreadClock):
            clock = _ThreadClock(time)
            dkim.time = clock
        return clock


@contextmanager
def dkimpy_now(at: float) -> Iterator[None]:
    """Within the block, dkimpy (in this thread) takes ``at`` as the current time."""
    with _clock().fixed(at):
        yield
