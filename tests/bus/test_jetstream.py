"""The JetStream bus against the real local NATS server (fails in CI when it is absent, skips elsewhere)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from borderwatch.bus import Bus
from borderwatch.bus.jetstream import BusUnavailable, JetStreamBus

NATS_URL = os.environ.get("BORDERWATCH_NATS_URL", "nats://127.0.0.1:4222")


def _need_nats() -> None:
    async def probe() -> None:
        bus = await JetStreamBus.connect(NATS_URL, namespace="probe" + secrets.token_hex(3), connect_timeout_s=2)
        await bus.delete_streams()
        await bus.close()

    try:
        asyncio.run(probe())
    except BusUnavailable as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"NATS JetStream is required in CI: {e}")
        pytest.skip(f"NATS JetStream not reachable: {e}")


@pytest.fixture(scope="module", autouse=True)
def nats_server() -> None:
    _need_nats()


def with_bus(fn: Callable[[Callable[..., Awaitable[JetStreamBus]]], Awaitable[Any]]) -> Any:
    """Run ``fn(make_bus)`` with a fresh namespace whose streams are deleted afterwards."""
    ns = "t" + secrets.token_hex(4)

    async def go() -> Any:
        made: list[JetStreamBus] = []

        async def make(**kw: Any) -> JetStreamBus:
            b = await JetStreamBus.connect(NATS_URL, namespace=ns, **kw)
            made.append(b)
            return b

        try:
            return await fn(make)
        finally:
            if made:
                await made[0].delete_streams()
            for b in made:
                await b.close()

    return asyncio.run(go())


def test_publish_waits_for_puback_and_delivers_in_order() -> None:
    async def go(make: Callable[..., Awaitable[JetStreamBus]]) -> tuple[list[int], list[tuple[str, bytes, int]]]:
        bus: Bus = await make(durable="engine-a")
        sub = bus.subscribe("reports")
        await sub.ready.wait()  # type: ignore[attr-defined]
        seqs = [await bus.publish(f"reports.ac-{i:03d}", f"r{i}".encode()) for i in range(5)]
        await bus.publish("audit", b"not a report")
        got = []
        for _ in range(5):
            m = await sub.next(timeout=5)
            assert m is not None
            got.append((m.subject, m.data, m.seq))
            await m.ack()
        assert await sub.next(timeout=0.3) is None  # the audit message is in another stream
        assert sub.depth == 0
        return seqs, got

    seqs, got = with_bus(go)
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    assert [g[0] for g in got] == [f"reports.ac-{i:03d}" for i in range(5)]
    assert [g[1] for g in got] == [f"r{i}".encode() for i in range(5)]
    assert [g[2] for g in got] == seqs  # the message seq is the stream sequence


def test_retried_publish_is_stored_once() -> None:
    async def go(make: Callable[..., Awaitable[JetStreamBus]]) -> tuple[int, int, int]:
        bus = await make()
        a = await bus.publish("reports.ac-001", b'{"ids": [1]}')
        b = await bus.publish("reports.ac-001", b'{"ids": [1]}')  # the same message again (a retry)
        c = await bus.publish("reports.ac-001", b'{"ids": [2]}')
        return a, b, c

    a, b, c = with_bus(go)
    assert a == b and c == a + 1


def test_unacknowledged_reports_go_to_the_next_engine_with_the_same_name() -> None:
    async def go(make: Callable[..., Awaitable[JetStreamBus]]) -> tuple[list[bytes], list[bytes]]:
        pub = await make()
        first = await make(durable="engine-west", ack_wait_s=1.0)
        sub = first.subscribe("reports")
        await sub.ready.wait()
        for i in range(6):
            await pub.publish(f"reports.s{i % 2}", str(i).encode())
        seen = []
        for i in range(6):
            m = await sub.next(timeout=5)
            assert m is not None
            seen.append(m.data)
            if i < 3:
                await m.ack()  # the engine dies after processing three
        await first.close()
        second = await make(durable="engine-west", ack_wait_s=1.0)
        sub2 = second.subscribe("reports")
        again = []
        while (m := await sub2.next(timeout=4)) is not None:
            again.append(m.data)
            await m.ack()
        return seen, again

    seen, again = with_bus(go)
    assert seen == [str(i).encode() for i in range(6)]
    assert again == [b"3", b"4", b"5"]  # exactly the unacknowledged ones, in order


def test_fan_out_starts_from_the_last_snapshot_and_drops_when_full() -> None:
    async def go(make: Callable[..., Awaitable[JetStreamBus]]) -> tuple[list[str], int, bool, int]:
        bus = await make()
        await bus.publish("picture.snapshot.west", b"old")
        await bus.publish("picture.snapshot.west", b"new")
        await bus.publish("picture.snapshot.east", b"east")
        view = bus.subscribe("picture", maxsize=3, overflow="drop", auto_ack=True)
        await view.ready.wait()
        first = []
        for _ in range(2):
            m = await view.next(timeout=5)
            assert m is not None
            first.append(f"{m.subject}={m.data.decode()}")
        for i in range(10):  # nobody reads: the window of 3 fills and the rest is dropped
            await bus.publish("picture.delta.west", str(i).encode())
        await asyncio.sleep(0.5)
        return first, view.depth, view.lagged, view.dropped

    first, depth, lagged, dropped = with_bus(go)
    assert sorted(first) == ["picture.snapshot.east=east", "picture.snapshot.west=new"]
    assert depth == 3 and lagged and dropped == 7


def test_exact_root_subjects_and_prefix_filtering() -> None:
    async def go(make: Callable[..., Awaitable[JetStreamBus]]) -> list[str]:
        bus = await make()
        sub = bus.subscribe("audit", auto_ack=True)
        one = bus.subscribe("reports.ac-002")
        await sub.ready.wait()
        await one.ready.wait()
        await bus.publish("audit", b"a")
        await bus.publish("audit.login", b"b")
        await bus.publish("reports.ac-001", b"x")
        await bus.publish("reports.ac-002", b"y")
        got = []
        for s in (sub, sub, one):
            m = await s.next(timeout=5)
            assert m is not None
            got.append(m.subject)
            await m.ack()
        return got

    assert with_bus(go) == ["audit", "audit.login", "reports.ac-002"]


def test_publish_to_a_server_that_is_away_fails_after_the_timeout() -> None:
    async def go() -> None:
        with pytest.raises(BusUnavailable):
            await JetStreamBus.connect("nats://127.0.0.1:18599", connect_timeout_s=0.5)

    asyncio.run(go())
