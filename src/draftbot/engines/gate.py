"""The concurrency gate of one engine run: at most `limit` model calls at once, lowered to one
for a server that turns out to serialise."""

from __future__ import annotations

import asyncio


class AdaptiveGate:
    """At most `limit` calls at once; `lower()` drops the limit to one for a server that serialises.

    Calls already running finish; new ones wait until none runs, so a retry never queues behind
    (or cuts off) a generation the server is still working on.
    """

    def __init__(self, limit: int):
        self.initial = self.limit = max(1, limit)
        self.active = 0
        self._changed = asyncio.Condition()

    async def __aenter__(self):
        async with self._changed:
            await self._changed.wait_for(lambda: self.active < self.limit)
            self.active += 1
        return self

    async def __aexit__(self, *exc):
        async with self._changed:
            self.active -= 1
            self._changed.notify_all()
        return False

    def lower(self) -> bool:
        """Serialise from now on; False when already serial."""
        if self.limit == 1:
            return False
        self.limit = 1
        return True
