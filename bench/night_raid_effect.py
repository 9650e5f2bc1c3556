"""Effect figures of the response on the night raid and the stray preset over several seeds (prints JSON).

Night raid: closed loop, auto-approve policy (simulation). Stray: no approval (a live room where the operator has
not answered): counts queue entries per hostile drone. Every figure is defined in docs/formats.md (summary.json).

    python bench/night_raid_effect.py [--seeds 8] [--workers 2] [--open-loop]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml

KEYS = (
    "hostile_drones_truth",
    "hostile_drones_detected_before_border_share_truth",
    "median_warning_before_crossing_per_drone_s_truth",
    "hostile_drones_engaged_before_depth_share_truth",
    "hostile_drones_killed_truth",
    "leakers_truth",
    "engagements",
    "engagements_launched",
    "engagements_per_hostile_drone_truth",
    "total_response_cost_eur",
    "threat_value_all_hostiles_eur_truth",
    "cost_exchange_ratio_vs_all_threats_truth",
    "fighter_scrambles",
    "fighter_scrambles_with_a_cheaper_option",
    "fighter_scrambles_avoided_truth",
    "outcomes",
    "queue_entries_per_hostile_drone_truth",
    "recommendations",
    "leakers_why_truth",
)


def one(job: tuple[str, int, bool, bool]) -> dict[str, Any]:
    from borderwatch.engine.batch import run_pipeline
    from borderwatch.engine.stepper import RunConfig
    from borderwatch.sim.scenario import resolve_scenario_path

    preset, k, auto, open_loop = job
    d = yaml.safe_load(resolve_scenario_path(preset).read_text(encoding="utf-8"))
    if k:
        d["seed"] = int(d["seed"]) + k
    with tempfile.TemporaryDirectory() as tmp:
        sc = Path(tmp) / f"{preset}-{k}.yaml"
        sc.write_text(yaml.safe_dump(d, allow_unicode=True, sort_keys=False), encoding="utf-8")
        t0 = time.perf_counter()
        s = run_pipeline(sc, Path(tmp) / "out", config=RunConfig(auto_approve=auto, closed_loop=not open_loop))
        wall = time.perf_counter() - t0
    out = {key: s.get(key) for key in KEYS}
    out.update({"preset": preset, "seed": d["seed"], "auto_approve": auto, "wall_s": round(wall, 1)})
    return out


def _agg(rows: list[dict[str, Any]]) -> dict[str, Any]:
    def vals(key: str) -> list[float]:
        return [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]

    agg: dict[str, Any] = {"runs": len(rows)}
    for key in KEYS:
        v = vals(key)
        if v:
            agg[key] = {"mean": round(statistics.mean(v), 3), "min": min(v), "max": max(v)}
    q = [
        r["queue_entries_per_hostile_drone_truth"]["max"]
        for r in rows
        if r.get("queue_entries_per_hostile_drone_truth")
    ]
    if q:
        agg["queue_entries_max_over_runs"] = max(q)
    ratio = [
        r["total_response_cost_eur"] / r["threat_value_all_hostiles_eur_truth"]
        for r in rows
        if r.get("threat_value_all_hostiles_eur_truth")
    ]
    if ratio:
        agg["cost_share_of_threat_value"] = {"mean": round(statistics.mean(ratio), 3), "max": round(max(ratio), 3)}
    return agg


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--seeds", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--open-loop", action="store_true")
    ap.add_argument("--presets", default="latgale-night-raid,stray-drones-north")
    a = ap.parse_args(argv)
    jobs = []
    for preset in a.presets.split(","):
        auto = preset != "stray-drones-north"
        jobs += [(preset, k, auto, a.open_loop) for k in range(a.seeds)]
    with ProcessPoolExecutor(max_workers=a.workers) as ex:
        rows = list(ex.map(one, jobs))
    res = {
        "bench": "night_raid_effect",
        "closed_loop": not a.open_loop,
        "by_preset": {p: _agg([r for r in rows if r["preset"] == p]) for p in a.presets.split(",")},
        "runs": rows,
    }
    json.dump(res, sys.stdout, indent=1, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
