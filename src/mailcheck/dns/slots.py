"""A cap on how many queries are in flight at once, the callers beyond it waiting in turn.

asyncio.Semaphore does this, but its ``locked()`` looks at every waiter each time, and a
bulk run asks the cap once a query, with hundreds of queries waiting at the start of a
burst (a domain's 51 DKIM selectors, for a hundred domains at once): there the
semaphore cost more than the queries. Here every operation is O(1), and a burst can
take the slots that are free in one call.
"""

from __future__ import annotations

import asyncio
from collections import deque


class Slots:
    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: deque[asyncio.Future[None]] = deque()

    def take_free(self, wanted: int) -> int:
        """Up to ``wanted`` slots that are free now (none while others wait): how many."""
        if self._waiting:
            return 0
        taken = min(wanted, self._free)
        self._free -= taken
        return taken

    async def take(self) -> None:
        """One slot, waiting for it when none is free."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiting.append(turn)
        try:
            await turn
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled():
                self.give(1)  # handed a slot as it was cancelled: pass it on
            else:
                self._waiting.remove(turn)
            raise

    def give(self, count: int = 1) -> None:
        """``count`` slots back: to the callers waiting, first come first served."""
        for _ in range(count):
            while self._waiting:
                turn = self._waiting.popleft()
                if not turn.done():
                    turn.set_result(None)
                    break
            else:
                self._free += 1
