"""Sparse, noisy, failing acoustic networks: a sweep of layout and sensor knobs, tracker picture quality per setting.

A straight border (the east axis) watched by one or two lines of acoustic nodes inside the home country (south):
the first 500 m behind the border, the second ``line_gap_km`` further back. Knobs (``--grid`` picks which):

* ``spacing_km`` 1 / 2 / 3 between nodes of a line; ``lines`` 1 or 2; ``jitter_m`` (σ of each node's position,
  irregular networks); ``down`` share of nodes that never report (failed, stolen, out of battery);
* ``noise`` × bearing σ (base σ_az = 1° + 1.5° · r/R, σ_el 1.5× that: fine bearings near a node, coarse at the
  edge of hearing; × 3 is the 3°–7.5° of a windy day); ``range`` × hearing range (Shahed-class 3 km,
  quadcopter 1.2 km, an assumption in line with the sensors' calibration); ``false_rate`` false bearings per
  node-second (uniform azimuth, elevation 0–30°).

Targets (no radar: the acoustic picture alone) cross the border from 6 km (quadcopters 2.5 km) out, 60 %
Shahed-class (45 m/s, 150–400 m up), 40 % quadcopters (15 m/s, 50–150 m up), with random headings within ±30° of
south and a gentle turn. Bearings carry the sound delay (c at 0 °C) and Pd 0.9 within range.

Scored per second (``times`` = the target's truth seconds): a target-second is *acoustic-only-localisable* when
≥ 2 distinct nodes heard the target in the last 10 s; ``coverage`` is the share of those with a confirmed track
assigned by GOSPA (c = 500 m); ``rms_m`` the 3-D error of assigned pairs; ``spurious`` the mean number of
confirmed tracks assigned to no target; ``switches_per_target`` GOSPA ID switches per target. Prints a table to
stderr and one JSON object to stdout.

    .venv/bin/python bench/acoustic_sweep.py [--seeds 8] [--grid accept|knobs|full] [--duration 600]
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
from scipy.spatial import cKDTree

from borderwatch.geo.frames import LocalFrame
from borderwatch.sensors.reports import BearingReport
from borderwatch.tracking import Tracker, TrackerConfig
from borderwatch.tracking.metrics import evaluate, gospa
from borderwatch.tracking.testing import sites_from_enu, table_for

FRAME = LocalFrame(56.3, 28.0, 150.0)
C_SOUND = 331.3
CLASSES = {  # hearing range (m), speed (m/s), height (m): assumptions (see the module docstring)
    "shahed": (3000.0, 45.0, (150.0, 400.0)),
    "quadcopter": (1200.0, 15.0, (50.0, 150.0)),
}


@dataclass(frozen=True, slots=True)
class Knobs:
    spacing_km: float = 2.0
    lines: int = 2
    line_gap_km: float = 2.0
    jitter_m: float = 0.0
    down: float = 0.3
    noise: float = 3.0
    range: float = 1.0
    false_rate: float = 0.002


def layout(k: Knobs, length_m: float, rng: np.random.Generator) -> np.ndarray:
    """(n, 3) node positions (east, north, up) of the live nodes."""
    pts = []
    for li in range(k.lines):
        n0 = -500.0 - li * k.line_gap_km * 1000.0
        off = 0.5 * k.spacing_km * 1000.0 * li  # the second line staggered by half a spacing
        for e in np.arange(-length_m / 2 + off, length_m / 2, k.spacing_km * 1000.0):
            pts.append((e, n0, 0.0))
    p = np.array(pts)
    p[:, :2] += rng.normal(0.0, k.jitter_m, (p.shape[0], 2)) if k.jitter_m > 0 else 0.0
    live = rng.random(p.shape[0]) >= k.down
    return p[live]


def make_targets(rng: np.random.Generator, n: int, duration: float, length_m: float) -> tuple[list[str], np.ndarray]:
    """Classes and (steps, n, 6) truth states at 0.1 s; targets start over 0 … duration/2."""
    dt = 0.1
    steps = round(duration / dt) + 1
    cls = ["shahed" if rng.random() < 0.6 else "quadcopter" for _ in range(n)]
    x = np.full((steps, n, 6), np.nan)
    for j, c in enumerate(cls):
        _, speed, (h0, h1) = CLASSES[c]
        start = int(rng.uniform(0, duration / 2) / dt)
        hd = np.pi + rng.uniform(-np.pi / 6, np.pi / 6)  # toward the south
        w = rng.uniform(-0.5, 0.5) * np.pi / 180.0
        e0 = rng.uniform(-0.35 * length_m, 0.35 * length_m)
        n_start = 6000.0 if c == "shahed" else 2500.0
        p = np.array([e0, n_start, rng.uniform(h0, h1)])
        for k in range(start, steps):
            v = speed * np.array([np.sin(hd), np.cos(hd), 0.0])
            x[k, j, :3], x[k, j, 3:] = p, v
            p = p + v * dt
            hd += w * dt
    return cls, x


def bearings(
    x: np.ndarray, cls: list[str], nodes: np.ndarray, k: Knobs, rng: np.random.Generator, duration: float
) -> tuple[list[BearingReport], list[tuple[float, int, int]]]:
    """Reception-ordered bearings (1 Hz per node, random phase) and (time, target, node) of every true one."""
    dt = 0.1
    tree = cKDTree(nodes)
    phase = rng.uniform(0, 1.0, nodes.shape[0])
    out: list[BearingReport] = []
    heard: list[tuple[float, int, int]] = []
    rmax = np.array([CLASSES[c][0] * k.range for c in cls])
    for tr in np.arange(1.0, duration, 1.0):
        kk = int(tr / dt)
        for j in range(len(cls)):
            pj = x[kk, j, :3]
            if np.isnan(pj[0]):
                continue
            for ni in tree.query_ball_point(pj, rmax[j] + 300.0):
                trc = tr + phase[ni]
                tau = np.linalg.norm(pj - nodes[ni]) / C_SOUND
                ke = round((trc - tau) / dt)
                if ke < 0 or ke >= x.shape[0] or np.isnan(x[ke, j, 0]):
                    continue
                d = x[ke, j, :3] - nodes[ni]
                r = float(np.linalg.norm(d))
                if r > rmax[j] or rng.random() > 0.9:
                    continue
                s_az = k.noise * (1.0 + 1.5 * r / rmax[j])
                s_el = 1.5 * s_az
                az = np.degrees(np.arctan2(d[0], d[1])) + rng.normal(0, s_az)
                el = np.degrees(np.arctan2(d[2], np.hypot(d[0], d[1]))) + rng.normal(0, s_el)
                out.append(BearingReport(t=float(trc), sensor=f"n{ni:04d}", az_deg=float(az % 360.0),
                                         sigma_az_deg=s_az, el_deg=float(np.clip(el, -90, 90)),
                                         sigma_el_deg=s_el))  # fmt: skip
                heard.append((float(trc), j, ni))
    n_false = rng.poisson(k.false_rate * nodes.shape[0] * duration)
    for _ in range(n_false):
        s_az = k.noise * 2.5
        node = int(rng.integers(nodes.shape[0]))
        out.append(BearingReport(t=float(rng.uniform(1.0, duration)), sensor=f"n{node:04d}",
                                 az_deg=float(rng.uniform(0, 360)), sigma_az_deg=s_az,
                                 el_deg=float(rng.uniform(0, 30)), sigma_el_deg=1.5 * s_az))  # fmt: skip
    out.sort(key=lambda r: r.t)
    return out, heard


def run(k: Knobs, seed: int, duration: float, n_targets: int, cfg: TrackerConfig | None = None) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    length = 40000.0
    nodes = layout(k, length, rng)
    cls, x = make_targets(rng, n_targets, duration, length)
    reps, heard = bearings(x, cls, nodes, k, rng, duration)
    sites = sites_from_enu(FRAME, [(f"n{i:04d}", "acoustic", *p) for i, p in enumerate(nodes)])
    tab = table_for(FRAME, sites)
    trk = Tracker(sites, cfg or TrackerConfig(temperature_c=0.0), sites=tab)
    # localisable target-seconds: >= 2 distinct nodes heard it within the last 10 s
    h = np.array(heard) if heard else np.zeros((0, 3))
    times = np.arange(10.0, duration, 1.0)
    loc = np.zeros((times.size, n_targets), dtype=bool)
    for j in range(n_targets):
        hj = h[h[:, 1] == j] if h.size else h
        for ti, t in enumerate(times):
            w = hj[(hj[:, 0] <= t) & (hj[:, 0] > t - 10.0)]
            loc[ti, j] = np.unique(w[:, 2]).size >= 2 if w.size else False
    est_t: list[float] = []
    est_id: list[str] = []
    est_pos: list[np.ndarray] = []
    it = iter(reps)
    nxt = next(it, None)
    cpu = time.process_time()
    covered = localisable = 0
    sq: list[float] = []
    spurious: list[int] = []
    for ti, t in enumerate(times):
        while nxt is not None and nxt.t <= t:
            trk.feed(nxt)
            nxt = next(it, None)
        ids, pos = trk.confirmed_enu(float(t))
        kk = round(t / 0.1)
        alive = ~np.isnan(x[kk, :, 0])
        tp = x[kk, alive, :3]
        g = gospa(tp, pos, c=500.0)
        tj = np.flatnonzero(alive)
        assigned = {int(tj[a]) for a, _ in g.assignment}
        for a, b in g.assignment:
            if loc[ti, tj[a]]:
                sq.append(float(np.sum((tp[a] - pos[b]) ** 2)))
        localisable += int(loc[ti].sum())
        covered += sum(1 for j in np.flatnonzero(loc[ti]) if int(j) in assigned)
        spurious.append(pos.shape[0] - len(g.assignment))
        est_t += [float(t)] * ids.size
        est_id += [str(i) for i in ids.tolist()]
        est_pos += list(pos)
    cpu = time.process_time() - cpu
    # ID switches over the localisable target-seconds' truth
    tt, tid, tpos = [], [], []
    for t in times:
        kk = round(t / 0.1)
        for j in range(n_targets):
            if not np.isnan(x[kk, j, 0]):
                tt.append(float(t))
                tid.append(f"g{j}")
                tpos.append(x[kk, j, :3])
    ev = evaluate(
        times=times, truth_t=np.array(tt), truth_id=tid, truth_pos=np.array(tpos), est_t=np.array(est_t),
        est_id=est_id, est_pos=np.array(est_pos) if est_pos else np.zeros((0, 3)),
    )  # fmt: skip
    return {
        "nodes": int(nodes.shape[0]),
        "bearings": len(reps),
        "localisable_s": localisable,
        "coverage": covered / localisable if localisable else float("nan"),
        "rms_m": float(np.sqrt(np.mean(sq))) if sq else float("nan"),
        "spurious": float(np.mean(spurious)),
        "switches_per_target": ev.id_switches / n_targets,
        "tracks_started": trk.summary.tracks_started,
        "cpu_s": cpu,
    }


def grid(name: str) -> list[tuple[str, Knobs]]:
    acc = Knobs()
    if name == "accept":
        return [("accept: 2 lines 2 km, noise x3, 30 % down", acc), ("3 km spacing", replace(acc, spacing_km=3.0))]
    if name == "knobs":  # one knob at a time around the acceptance setting, plus the shipped-like network
        out = [("accept", acc), ("shipped-like: 1 km, 1 line, x1, none down", Knobs(1.0, 1, 2.0, 0.0, 0.0, 1.0))]
        out += [(f"spacing {s} km", replace(acc, spacing_km=s)) for s in (1.0, 3.0)]
        out += [("one line", replace(acc, lines=1)), ("jitter 300 m", replace(acc, jitter_m=300.0))]
        out += [("none down", replace(acc, down=0.0))]
        out += [(f"noise x{n:g}", replace(acc, noise=n)) for n in (1.0, 5.0)]
        out += [("range x0.5", replace(acc, range=0.5)), ("false x10", replace(acc, false_rate=0.02))]
        return out
    return [
        (f"{s:g}km {ln}L x{n:g} r{r:g} d{d:g}", Knobs(s, ln, 2.0, 0.0, d, n, r))
        for s, ln, n, r, d in itertools.product((1.0, 2.0, 3.0), (1, 2), (1.0, 3.0, 5.0), (0.5, 1.0), (0.0, 0.3))
    ]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--grid", choices=["accept", "knobs", "full"], default="accept")
    ap.add_argument("--duration", type=float, default=600.0)
    ap.add_argument("--targets", type=int, default=8)
    ap.add_argument("--set", action="append", default=[], help="TrackerConfig field=value (numbers), repeatable")
    a = ap.parse_args()
    over = {kv.split("=")[0]: float(kv.split("=")[1]) for kv in a.set}
    base = TrackerConfig(temperature_c=0.0)
    cfg = replace(base, **{f: type(getattr(base, f))(v) for f, v in over.items()})
    rows = []
    print(f"{'setting':44s} {'cover':>6s} {'rms m':>7s} {'spur':>6s} {'sw/tgt':>7s} {'loc s':>7s}", file=sys.stderr)
    for label, k in grid(a.grid):
        res = [run(k, seed, a.duration, a.targets, cfg) for seed in range(a.seeds)]
        agg = {key: float(np.nanmean([r[key] for r in res])) for key in res[0]}
        rows.append({"setting": label, "knobs": asdict(k), "mean": agg, "per_seed": res})
        print(f"{label:44s} {agg['coverage']:6.3f} {agg['rms_m']:7.1f} {agg['spurious']:6.2f} "
              f"{agg['switches_per_target']:7.2f} {agg['localisable_s']:7.0f}", file=sys.stderr)  # fmt: skip
    print(json.dumps({"bench": "acoustic_sweep", "seeds": a.seeds, "duration_s": a.duration, "config": over,
                      "targets": a.targets, "results": rows}))  # fmt: skip


if __name__ == "__main__":
    main()
