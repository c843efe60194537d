"""SharedSlots: one bound on calls across event loops in several threads, cancellation included."""

from __future__ import annotations

import asyncio
import threading

from draftbot.engines.callguard import SharedSlots


def test_bound_holds_across_threads_and_no_slot_is_lost():
    slots = SharedSlots(3)
    seen = []
    lock = threading.Lock()
    active = [0]

    async def call(i: int) -> None:
        await slots.acquire()
        with lock:
            active[0] += 1
            seen.append(active[0])
        await asyncio.sleep(0.002 * (i % 3))
        with lock:
            active[0] -= 1
        slots.release()

    async def report() -> None:
        await asyncio.gather(*(call(i) for i in range(12)))

    threads = [threading.Thread(target=asyncio.run, args=(report(),)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 48 and max(seen) == 3 and slots.max_in_use == 3
    assert slots.in_use == 0 and slots._free == 3 and not slots._waiters


def test_cancelled_waiter_gives_no_slot_away():
    slots = SharedSlots(1)

    async def main() -> None:
        await slots.acquire()  # hold the only slot
        waiter = asyncio.create_task(slots.acquire())
        await asyncio.sleep(0.01)
        waiter.cancel()
        await asyncio.gather(waiter, return_exceptions=True)
        slots.release()
        # the slot is free again: a new caller gets it at once
        await asyncio.wait_for(slots.acquire(), 1)
        slots.release()

    asyncio.run(main())
    assert slots._free == 1 and slots.in_use == 0


def test_slot_handed_to_a_waiter_cancelled_on_the_way_is_passed_on():
    slots = SharedSlots(1)

    async def main() -> None:
        await slots.acquire()
        first = asyncio.create_task(slots.acquire())
        second = asyncio.create_task(slots.acquire())
        await asyncio.sleep(0.01)
        slots.release()  # hands the slot to `first` (scheduled, not yet run) ...
        first.cancel()  # ... which is cancelled before it runs: `second` must get the slot
        await asyncio.gather(first, return_exceptions=True)
        await asyncio.wait_for(second, 1)
        slots.release()

    asyncio.run(main())
    assert slots._free == 1 and slots.in_use == 0
