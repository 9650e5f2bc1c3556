"""A simulated scenario as a live source: its reports signed and POSTed like a real sensor's, at X× real time.

``borderwatch serve --replay NAME|DIR [--speed X]`` simulates a scenario (or takes a run folder with
``sensors.json`` and ``reports.jsonl``), enrols its sensors in the store, runs the service on a replay clock that
starts at the scenario's first report and moves ``speed`` times faster than the wall clock, and plays the reports
into the same signed HTTP ingest a real sensor uses (one message per sensor per bin, its own sequence numbers).
The engine meets a simulated world: an approved engagement's outcome is drawn against truth, and a killed drone
falls silent — its later reports are not sent (the closed loop of ``borderwatch run``, the same
:class:`~borderwatch.engine.world.SimWorld`).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from borderwatch.engine.world import SimWorld
    from borderwatch.server.live import EngineLike
    from borderwatch.server.run import Background
    from borderwatch.server.settings import Settings
    from borderwatch.server.state import AppState

log = logging.getLogger("borderwatch.replay")
BIN_S = 1.0  # scenario seconds of reports per message


@dataclass(slots=True)
class ReplaySource:
    """A run folder: sensors.json, reports.jsonl and, when simulated here, truth and report origins."""

    dir: Path
    sensors: Path
    reports: list[dict[str, Any]]
    world: SimWorld | None = None
    sent: int = 0
    accepted: int = 0
    rejected: int = 0
    silenced: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def t0(self) -> float:
        return float(self.reports[0]["t"]) if self.reports else 0.0

    @property
    def t_end(self) -> float:
        return float(self.reports[-1]["t"]) if self.reports else 0.0


def prepare(source: str, work: Path, *, theatre: str | None = None) -> ReplaySource:
    """Simulate ``source`` (a preset name or scenario file) into ``work``, or take ``source`` as a run folder."""
    from borderwatch.engine.world import SimWorld
    from borderwatch.errors import InputError
    from borderwatch.jobs import ORIGINS_FILE, simulate_job
    from borderwatch.sim.truth import read_truth

    p = Path(source)
    if p.is_dir():
        d = p
        for name in ("sensors.json", "reports.jsonl"):
            if not (d / name).is_file():
                raise InputError(f"a replay folder needs {name}", source=str(d), field="--replay")
    else:
        d = work
        d.mkdir(parents=True, exist_ok=True)
        simulate_job(source, d, theatre=theatre)
    reports = [json.loads(x) for x in (d / "reports.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    if not reports:
        raise InputError("no reports to replay", source=str(d / "reports.jsonl"), field="--replay")
    world = None
    if (d / "truth.jsonl").is_file():
        truth = read_truth(d / "truth.jsonl")
        world = SimWorld.from_dir(truth, d / ORIGINS_FILE, closed_loop=True)
    return ReplaySource(d, d / "sensors.json", reports, world)


def enrol(store_path: str | Path, sensors: Path, now: float) -> dict[str, bytes]:
    """Keys of every sensor of ``sensors.json``: enrolled now if new (audited), the active key otherwise."""
    from borderwatch.store import audit, open_store, sensor_keys

    ids = [s["id"] for s in json.loads(sensors.read_text(encoding="utf-8"))["sensors"]]
    st = open_store(store_path)
    keys: dict[str, bytes] = {}
    try:
        new = []
        for i in ids:
            have = sensor_keys.keys_for(st, i, now)
            if have:
                keys[i] = have[0]
            else:
                keys[i] = sensor_keys.add_sensor(st, i, now=now)
                new.append(i)
        if new:
            audit.append_audit(
                st, "replay", "sensors.enrol", f"{len(new)} sensors", {"sensors": new[:50], "n": len(new)}, t=now
            )
    finally:
        st.close()
    return keys


def replay_engine(world: SimWorld | None) -> Any:
    """An engine factory for the service that gives the engine the simulated world."""

    def factory(settings: Settings) -> EngineLike:
        from borderwatch.server.engine_factory import default_engine

        eng = default_engine(settings)
        eng.world = world  # type: ignore[attr-defined]
        return eng

    return factory


async def play(src: ReplaySource, url: str, keys: dict[str, bytes], clock: Any, state: AppState | None = None) -> None:
    """POST the reports bin by bin when the replay clock reaches each bin's end; a killed drone falls silent."""
    import httpx

    from borderwatch.store import reports as store_reports
    from borderwatch.store.signing import signed_envelope

    seq: dict[str, int] = {}
    if state is not None:
        seq = dict(await asyncio.to_thread(store_reports.last_seqs, state.store))
    world = src.world
    tgt = world.origin_target if world is not None else None
    temit = world.origin_t if world is not None else None
    i, n = 0, len(src.reports)
    async with httpx.AsyncClient(base_url=url, timeout=30.0) as client:
        while i < n:
            hi = float(src.reports[i]["t"]) + BIN_S
            j = i
            by: dict[str, list[dict[str, Any]]] = {}
            while j < n and float(src.reports[j]["t"]) < hi:
                r = src.reports[j]
                killed = world.killed if world is not None else {}
                if killed and tgt is not None and temit is not None and j < tgt.size:
                    k = int(tgt[j])
                    if k >= 0 and k in killed and temit[j] > killed[k]:
                        src.silenced += 1
                        j += 1
                        continue
                by.setdefault(r["sensor"], []).append(r)
                j += 1
            i = j
            wait = hi - clock()
            if wait > 0:
                await asyncio.sleep(wait / getattr(clock, "speed", 1.0))
            lines = []
            for s, reps in by.items():
                if s not in keys:
                    continue
                seq[s] = seq.get(s, 0) + 1
                lines.append(json.dumps(signed_envelope(s, seq[s], clock(), reps, keys[s])))
            if not lines:
                continue
            try:
                resp = await client.post("/api/v1/ingest", content="\n".join(lines).encode())
                out = resp.json()
                src.sent += sum(len(v) for v in by.values())
                src.accepted += int(out.get("accepted", 0))
                src.rejected += int(out.get("rejected_reports", 0)) + int(out.get("rejected_messages", 0))
            except (httpx.HTTPError, ValueError) as exc:  # keep playing: a sensor does not stop on one failure
                src.errors.append(str(exc)[:200])
                log.warning("replay: POST failed: %s", exc)
    log.info("replay done: %d sent, %d accepted, %d rejected, %d silenced", src.sent, src.accepted, src.rejected,
             src.silenced)  # fmt: skip


def hook(settings: Settings, opts: dict[str, object]) -> tuple[Settings, list[Background]]:
    """The ``--replay`` extension of ``serve`` (see :class:`borderwatch.cli.serve.ServeHook`)."""
    import time

    from borderwatch.server.clock import ReplayClock

    source = opts.get("replay")
    if not source:
        return settings, []
    speed = float(opts.get("speed", 10.0))  # type: ignore[arg-type]
    work = Path(str(settings.store)).with_suffix("").parent / (Path(str(settings.store)).stem + "-replay")
    src = prepare(str(source), work, theatre=settings.theatre)
    keys = enrol(settings.store, src.sensors, time.time())
    clock = ReplayClock(src.t0 - 2.0, speed=speed)
    new = replace(
        settings,
        sensors=src.sensors,
        clock=clock,
        engine_factory=replay_engine(src.world),
        max_skew_s=max(settings.max_skew_s, 5.0 * speed),
    )

    async def background(url: str, state: AppState) -> None:
        clock._w0 = clock._wall()  # the scenario starts when the service listens (not while it was starting)
        await play(src, url, keys, clock, state)

    return new, [background]


def demo_users(store_path: str | Path) -> dict[str, str]:
    """Create ``operator``, ``viewer`` and ``admin`` with random passwords if they do not exist (for
    ``make serve``); returns the new ones' passwords, shown once."""
    import secrets
    import time

    from borderwatch.store import audit, open_store, users

    st = open_store(store_path)
    out: dict[str, str] = {}
    try:
        for name in ("operator", "viewer", "admin"):
            if users.get_user(st, name) is None:
                pw = secrets.token_urlsafe(9)
                users.add_user(st, name, pw, name)
                audit.append_audit(st, "make-serve", "user.add", name, {"role": name}, t=time.time())
                out[name] = pw
    finally:
        st.close()
    return out
