"""A replayed scenario through gateways, sector engines and an API view, stepped by a manual clock (tests, benches).

Real components only: each gateway is the service's :class:`~borderwatch.server.ingest.Ingest` on the store and
its own bus connection; each sector engine a :class:`~borderwatch.server.live.LiveDriver` driving a
:class:`~borderwatch.scale.sector_engine.SectorEngine` (with the neighbour feed over the bus); the API a
:class:`~borderwatch.scale.merge.MergedPictureView`. Instead of the wall clock, the harness moves a manual clock
bin by bin: it POSTs (submits) the bin's signed messages to the gateways in turn, waits until each engine's
consumer has taken every published report, steps the engines, and waits until the API view has both sectors'
snapshots of that step. The reference is the single engine fed the same reports in the same bins.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from borderwatch.bus import Bus

BIN_S = 1.0


class ManualClock:
    """A clock the harness moves (``clock.t = ...``)."""

    def __init__(self, t: float) -> None:
        self.t = float(t)

    def __call__(self) -> float:
        return self.t


@dataclass(slots=True)
class Samples:
    """Track states sampled from a picture at each step: columns for :class:`~borderwatch.tracking.io.TrackTable`."""

    t: list[float] = field(default_factory=list)
    track: list[str] = field(default_factory=list)
    lat: list[float] = field(default_factory=list)
    lon: list[float] = field(default_factory=list)
    alt: list[float] = field(default_factory=list)
    sector: list[str | None] = field(default_factory=list)  # the sector that showed it (None: one engine)

    def add(self, t: float, tracks: Sequence[dict[str, Any]]) -> None:
        for tr in tracks:
            sec = tr.get("sector")
            self.sector.append(sec if isinstance(sec, str) else None)
            self.t.append(round(float(t), 3))
            self.track.append(str(tr["track"]))
            self.lat.append(float(tr["lat"]))
            self.lon.append(float(tr["lon"]))
            self.alt.append(float(tr.get("alt_m") or 0.0))

    def table(self) -> Any:
        from borderwatch.tracking.io import TrackTable

        return TrackTable(
            np.array(self.t), list(self.track), np.array(self.lat), np.array(self.lon), np.array(self.alt)
        )


def bins(
    reports: Sequence[dict[str, Any]], t0: float, t1: float
) -> list[tuple[float, dict[str, list[dict[str, Any]]]]]:
    """Reports in [t0, t1) grouped into BIN_S bins by sensor: (bin end, sensor -> reports)."""
    out: list[tuple[float, dict[str, list[dict[str, Any]]]]] = []
    cur: dict[str, list[dict[str, Any]]] = {}
    hi = t0 + BIN_S
    for r in reports:
        t = float(r["t"])
        if t < t0:
            continue
        if t >= t1:
            break
        while t >= hi:
            out.append((hi, cur))
            cur, hi = {}, hi + BIN_S
        cur.setdefault(str(r["sensor"]), []).append(r)
    out.append((hi, cur))
    return out


def single_engine_samples(
    theatre: Any, sites: Sequence[Any], reports: Sequence[dict[str, Any]], t0: float, t1: float, emit_s: float
) -> Samples:
    """The reference: the one engine on every sensor, fed the same bins, sampled at every bin end."""
    from borderwatch.engine import Engine, RunConfig
    from borderwatch.response.effectors import load_layout

    eng = Engine(
        theatre,
        list(sites),
        units=load_layout(None),
        config=RunConfig(auto_approve=False, emit_interval_s=emit_s),
        rng=np.random.default_rng(0),
    )
    out = Samples()
    for hi, by in bins(reports, t0, t1):
        reps = []
        for rs in by.values():
            for d in rs:
                r, _ = eng.check(d)
                if r is not None:
                    reps.append(r)
        reps.sort(key=lambda r: r.t)
        if reps:
            eng.feed(reps)
        eng.advance(hi)
        out.add(hi, eng.picture()["tracks"])
    return out


@dataclass(slots=True)
class ScaledRun:
    samples: Samples
    acknowledged: int
    sent: int
    steps: int
    handovers: dict[str, int]
    wall_s: float
    max_shown_twice: int  # most gids two sectors showed at the same step (should be 0)


async def run_scaled(
    *,
    store: Any,
    make_bus: Callable[[str], Awaitable[Bus]],
    stream_info: Callable[[str], Awaitable[int]] | None,
    sensors_json: Path,
    keys: dict[str, bytes],
    reports: Sequence[dict[str, Any]],
    t0: float,
    t1: float,
    sectors_file: Path | None,
    theatre: str | None = None,
    n_gateways: int = 2,
    emit_s: float = 1.0,
    timeout_s: float = 30.0,
    progress: Callable[[int, float, float], None] | None = None,
) -> ScaledRun:
    """Replay ``reports`` in [t0, t1) through ``n_gateways`` gateways, one sector engine per sector and a view.

    ``make_bus(role)`` opens one bus connection per component (a JetStream bus with ``durable=role``);
    ``stream_info(durable)`` returns how many messages the engine's durable consumer has not yet had acknowledged
    (JetStream: pending + ack pending); None for the in-process bus (then the subscription's depth is used).
    """
    from borderwatch.scale.merge import MergedPictureView
    from borderwatch.scale.roles import SectorBus, follow_neighbours, sector_engine_factory
    from borderwatch.scale.sector_engine import SectorEngine
    from borderwatch.scale.sectors import Sectors
    from borderwatch.server.app import _parse_only
    from borderwatch.server.ingest import Ingest, SensorHealth
    from borderwatch.server.live import LiveDriver
    from borderwatch.server.metrics import Metrics
    from borderwatch.server.settings import Settings
    from borderwatch.store.signing import signed_envelope

    sectors = Sectors.load(sectors_file)
    clock = ManualClock(t0 - 1.0)
    base = Settings(
        store=str(store.url),
        theatre=theatre,
        sensors=sensors_json,
        clock=clock,
        emit_interval_s=emit_s,
        tick_s=1e9,  # the harness steps the engines itself
        snapshot_interval_s=0.0,  # and compares the pictures after every step: a snapshot at each one
        picture_interval_s=None,  # one frame per step, as the single-engine reference
        max_skew_s=60.0,
        rebuild_window_s=0.0,
        sectors_file=sectors_file,
    )
    gateways = []
    for i in range(n_gateways):
        gbus = await make_bus(f"gateway{i}")
        gateways.append(
            (
                gbus,
                Ingest(
                    store=store,
                    bus=gbus,
                    check=_parse_only,
                    settings=base,
                    metrics=Metrics(),
                    health=SensorHealth(60.0),
                ),
            )
        )
    api_bus = await make_bus("api")
    view = MergedPictureView(api_bus, delta_buffer=20_000, client_queue=5000)
    view.start()
    drivers: list[tuple[str, LiveDriver, SectorEngine, Bus]] = []
    followers = []
    for name in sectors.names:
        ebus = await make_bus(f"engine-{name}")
        s = replace(base, role="engine", sector=name)
        eng = sector_engine_factory(s)
        assert isinstance(eng, SectorEngine)
        drv = LiveDriver(engine=eng, store=store, bus=SectorBus(ebus, name), settings=s, metrics=Metrics())
        await drv.start()
        drivers.append((name, drv, eng, ebus))
        followers.append(asyncio.create_task(follow_neighbours(ebus, eng)))
    await asyncio.sleep(0.5)  # consumers created
    seqs: dict[str, int] = {}
    samples = Samples()
    sent = acked = steps = twice = 0
    w0 = time.monotonic()
    try:
        for k, (hi, by) in enumerate(bins(reports, t0, t1)):
            clock.t = hi
            lines: list[list[dict[str, Any]]] = [[] for _ in gateways]
            for j, (sensor, reps) in enumerate(sorted(by.items())):
                if sensor not in keys:
                    continue
                seqs[sensor] = seqs.get(sensor, 0) + 1
                lines[(j + k) % len(gateways)].append(signed_envelope(sensor, seqs[sensor], hi, reps, keys[sensor]))
                sent += len(reps)
            for (_gbus, ing), msgs in zip(gateways, lines, strict=True):
                if msgs:
                    for r in await ing.submit(msgs):
                        acked += r.accepted
            # every engine has taken every report published so far
            deadline = time.monotonic() + timeout_s
            for name, drv, _, _ in drivers:
                while True:
                    pending = await stream_info(f"engine-{name}") if stream_info is not None else 0
                    if pending == 0 and drv._sub.depth == 0:
                        break
                    if time.monotonic() > deadline:
                        raise TimeoutError(f"engine {name} did not take the reports of bin {hi}")
                    await asyncio.sleep(0.003)
            for _, drv, _, _ in drivers:
                await drv.step()
            steps += 1
            deadline = time.monotonic() + timeout_s
            while not all(
                float((view.pictures.get(n) or {}).get("t") or -1e18) >= drvs.engine.now - 1e-6
                for n, drvs, _, _ in drivers
            ):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the API view did not get the snapshots of bin {hi}")
                await asyncio.sleep(0.005)
            pic = view.picture
            samples.add(hi, pic.get("tracks") or [])
            if progress is not None and k % 50 == 0:
                progress(k, hi, time.monotonic() - w0)
            shown: dict[str, int] = {}
            for n in view.pictures:
                for tr in view.pictures[n].get("tracks") or []:
                    shown[str(tr["track"])] = shown.get(str(tr["track"]), 0) + 1
            twice = max(twice, sum(1 for v in shown.values() if v > 1))
    finally:
        for f in followers:
            f.cancel()
        for _, drv, _, _ in drivers:
            await drv.stop()
        await view.stop()
        for _, _, _, b in drivers:
            await b.close()
        for gbus, _ in gateways:
            await gbus.close()
        await api_bus.close()
    return ScaledRun(
        samples,
        acked,
        sent,
        steps,
        {n: e.adopted for n, _, e, _ in drivers},
        time.monotonic() - w0,
        twice,
    )


def seam_crossings(truth: Any, sectors: Any) -> dict[str, float]:
    """Truth targets whose trajectory crosses from one sector's core to another's: target -> first crossing time."""
    out: dict[str, float] = {}
    for i, ti in enumerate(truth.targets):
        rows = np.flatnonzero(truth.idx == i)
        if rows.size < 2:
            continue
        rows = rows[np.argsort(truth.t[rows])]
        owners = [sectors.owner(float(truth.lat[r]), float(truth.lon[r])) for r in rows]
        for a in range(1, len(owners)):
            if owners[a] != owners[a - 1]:
                out[ti.id] = float(truth.t[rows[a]])
                break
    return out


def seam_id_switches(
    truth: Any, samples: Samples, crossings: dict[str, float], *, window_s: float = 120.0, gate_m: float = 500.0
) -> dict[str, int]:
    """Per crossing target: how many times the id of its nearest shown track (within ``gate_m``) changes in the
    ``window_s`` before and after its seam crossing (0 = it kept one track id across the seam)."""
    st = np.array(samples.t)
    slat, slon = np.array(samples.lat), np.array(samples.lon)
    ids = np.array(samples.track, dtype=object)
    out: dict[str, int] = {}
    index = {ti.id: i for i, ti in enumerate(truth.targets)}
    for tid, tc in crossings.items():
        rows = np.flatnonzero((truth.idx == index[tid]) & (np.abs(truth.t - tc) <= window_s))
        rows = rows[np.argsort(truth.t[rows])]
        seq: list[str] = []
        for r in rows:
            m = np.flatnonzero(np.abs(st - round(float(truth.t[r]), 3)) < 1e-3)
            if m.size == 0:
                continue
            kx = 111_320.0 * np.cos(np.radians(truth.lat[r]))
            d = np.hypot((slon[m] - truth.lon[r]) * kx, (slat[m] - truth.lat[r]) * 110_574.0)
            j = int(np.argmin(d))
            if d[j] <= gate_m:
                seq.append(str(ids[m[j]]))
        out[tid] = sum(1 for a, b in itertools.pairwise(seq) if a != b)
    return out


def load_reports(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
    rows.sort(key=lambda r: float(r["t"]))
    return rows


def simulate_raid(
    out: Path, *, preset: str = "latgale-night-raid", seed: int | None = None, duration_s: float | None = None
) -> Path:
    """Simulate a preset (another ``seed``, the first ``duration_s``) into ``out``: truth, sensors, reports."""
    from dataclasses import replace as dc_replace

    from borderwatch.jobs import load_checked, simulate_to_dir

    ld = load_checked(preset)
    upd: dict[str, Any] = {}
    if seed is not None:
        upd["seed"] = seed
    if duration_s is not None:
        upd["duration_s"] = min(float(duration_s), ld.scenario.duration_s)
    if upd:
        ld = dc_replace(ld, scenario=ld.scenario.model_copy(update=upd))
    simulate_to_dir(ld, out)
    return out


def duplicates(samples: Samples, *, radius_m: float = 300.0, across_sectors: bool = False) -> int:
    """Pairs of different track ids closer than ``radius_m`` at the same sample time (one drone shown twice);
    ``across_sectors``: only pairs that two different sectors showed (what the split into sectors adds)."""
    from scipy.spatial import cKDTree

    st = np.array(samples.t)
    n = 0
    for t in np.unique(st):
        m = np.flatnonzero(st == t)
        if m.size < 2:
            continue
        lat = np.array(samples.lat)[m]
        lon = np.array(samples.lon)[m]
        kx = 111_320.0 * np.cos(np.radians(float(np.mean(lat))))
        xy = np.column_stack([lon * kx, lat * 110_574.0])
        ids = [samples.track[i] for i in m]
        secs = [samples.sector[i] for i in m]  # Samples.add appends one sector per sample
        n += sum(
            1
            for a, b in cKDTree(xy).query_pairs(radius_m)
            if ids[a] != ids[b] and (not across_sectors or secs[a] != secs[b])
        )
    return n
