"""The in-process bus keeps the delivery contract of borderwatch.bus.base."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.bus import BusClosed, InProcessBus, Message


def run(coro):  # type: ignore[no-untyped-def]
    return asyncio.run(coro)


def test_prefix_matching_and_order() -> None:
    async def go() -> tuple[list[str], list[str]]:
        bus = InProcessBus()
        reports = bus.subscribe("reports")
        everything = bus.subscribe("")
        for s in ("reports.a", "reportsx", "picture.delta", "reports.b", "reports"):
            await bus.publish(s, s.encode())
        got_r = [m.subject for m in reports.drain(100)]
        got_all = [m.subject for m in everything.drain(100)]
        return got_r, got_all

    got_r, got_all = run(go())
    assert got_r == ["reports.a", "reports.b", "reports"]
    assert got_all == ["reports.a", "reportsx", "picture.delta", "reports.b", "reports"]


def test_sequence_numbers_increase() -> None:
    async def go() -> list[int]:
        bus = InProcessBus()
        sub = bus.subscribe("x")
        for _ in range(5):
            await bus.publish("x", b"")
        return [m.seq for m in sub.drain(10)]

    seqs = run(go())
    assert seqs == sorted(seqs) and len(set(seqs)) == 5


def test_publisher_waits_for_ack_back_pressure() -> None:
    async def go() -> tuple[bool, bool, int]:
        bus = InProcessBus(maxsize=2)
        sub = bus.subscribe("x")
        await bus.publish("x", b"1")
        await bus.publish("x", b"2")
        third = asyncio.create_task(bus.publish("x", b"3"))
        await asyncio.sleep(0.05)
        blocked = not third.done()
        m = await sub.next(timeout=1)
        assert m is not None
        await asyncio.sleep(0.05)
        still_blocked_after_take = not third.done()  # taken but not acknowledged: still in flight
        await m.ack()
        await asyncio.wait_for(third, 1)
        return blocked, still_blocked_after_take, sub.depth

    blocked, still, depth = run(go())
    assert blocked and still
    assert depth == 2


def test_drop_policy_marks_lagged_and_does_not_block_others() -> None:
    async def go() -> tuple[int, bool, int]:
        bus = InProcessBus(maxsize=100)
        slow = bus.subscribe("picture", maxsize=3, overflow="drop")
        fast = bus.subscribe("picture")
        for i in range(10):
            await bus.publish("picture.delta", str(i).encode())
        return slow.dropped, slow.lagged, len(fast.drain(100))

    dropped, lagged, n_fast = run(go())
    assert dropped == 7 and lagged and n_fast == 10


def test_auto_ack_frees_slots_on_delivery() -> None:
    async def go() -> int:
        bus = InProcessBus(maxsize=1)
        sub = bus.subscribe("x", auto_ack=True)
        for _ in range(3):
            await bus.publish("x", b"")
            assert await sub.next(timeout=1) is not None
        return sub.depth

    assert run(go()) == 0


def test_close_ends_iteration_and_wakes_publishers() -> None:
    async def go() -> tuple[list[bytes], bool]:
        bus = InProcessBus(maxsize=1)
        sub = bus.subscribe("x")
        other = bus.subscribe("x")
        await bus.publish("x", b"a")
        pending = asyncio.create_task(bus.publish("x", b"b"))
        await asyncio.sleep(0.02)
        await other.close()
        got: list[bytes] = []

        async def consume() -> None:
            async for m in sub:
                got.append(m.data)
                await m.ack()
                if len(got) == 2:
                    await sub.close()

        await asyncio.wait_for(asyncio.gather(consume(), pending), 1)
        await bus.close()
        try:
            await bus.publish("x", b"c")
        except BusClosed:
            return got, True
        return got, False

    got, refused = run(go())
    assert got == [b"a", b"b"]
    assert refused


def test_next_times_out() -> None:
    async def go() -> Message | None:
        return await InProcessBus().subscribe("x").next(timeout=0.01)

    assert run(go()) is None


def test_invalid_maxsize() -> None:
    with pytest.raises(ValueError, match="maxsize"):
        InProcessBus(maxsize=0)


@settings(max_examples=60, deadline=None)
@given(ops=st.lists(st.sampled_from(["pub", "take", "ack"]), min_size=1, max_size=80), size=st.integers(1, 5))
def test_in_flight_never_exceeds_window(ops: list[str], size: int) -> None:
    """Whatever the interleaving, in-flight stays within the window and every message arrives once, in order."""

    async def go() -> None:
        bus = InProcessBus(maxsize=size)
        sub = bus.subscribe("s")
        taken: list[Message] = []
        received: list[int] = []
        sent = 0
        for op in ops:
            if op == "pub":
                if sub.depth >= size:
                    task = asyncio.create_task(bus.publish("s", str(sent).encode()))
                    await asyncio.sleep(0)
                    assert not task.done()
                    task.cancel()
                    continue
                await bus.publish("s", str(sent).encode())
                sent += 1
            elif op == "take":
                got = sub.drain(1)
                taken += got
                received += [int(m.data) for m in got]
            elif taken:
                await taken.pop(0).ack()
            assert 0 <= sub.depth <= size
        received += [int(m.data) for m in sub.drain(10_000)]
        assert received == list(range(sent))

    run(go())
