"""Benchmark: reinforcement plan for a synthetic month on the shipped sections; prints one JSON object.

History: one synthetic year; demand: the forecast model's mean for the next 30 days; forces: the shipped
notional forces.yaml (own patrols and dog handlers, 15 guards on loan from Lithuania for 30 days). Reports the
expected unhandled attempts of the MILP plan and of the proportional-to-forecast baseline, the LP lower bound,
and the solve time (target <= 10 s).
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import time

import numpy as np

from borderwatch.crossings.allocate import Problem, load_forces, proportional_baseline, solve_milp
from borderwatch.crossings.forecast import daily_counts, fit, predict
from borderwatch.crossings.sections import load_sections
from borderwatch.crossings.synthetic import generate
from borderwatch.theatre import load_theatre


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--days", type=int, default=30)
    ap.add_argument("--time-limit", type=float, default=9.0)
    args = ap.parse_args()
    th = load_theatre()
    secs = load_sections(th)
    day0, hist = 20_089, 365
    syn = generate(secs, day0=day0, n_days=hist, rng=np.random.default_rng(args.seed), refusals=False)
    counts = daily_counts(syn.events, section_ids=secs.ids, day0=day0, n_days=hist)
    m = fit(counts, day0=day0)
    fc = predict(m, section_ids=secs.ids, day0=day0 + hist, n_days=args.days)
    forces = load_forces(None, theatre_name=th.name, sections=secs)
    prob = Problem(secs, forces, day0 + hist, fc.mean, m.alpha)
    t0 = time.perf_counter()
    base = proportional_baseline(prob)
    t1 = time.perf_counter()
    plan = solve_milp(prob, time_limit_s=args.time_limit)
    t2 = time.perf_counter()
    print(
        json.dumps(
            {
                "bench": "reinforce",
                "seed": args.seed,
                "sections": len(secs.ids),
                "days": args.days,
                "shifts": len(prob.shift_slots()),
                "groups": len(forces.groups),
                "officers": sum(g.count for g in forces.groups),
                "expected_attempts": round(float(prob.shift_demand().sum()), 2),
                "expected_unhandled_milp": round(plan.total_unhandled, 3),
                "expected_unhandled_baseline": round(base.total_unhandled, 3),
                "lower_bound": None if plan.bound is None else round(plan.bound, 3),
                "gap_to_bound": None if plan.gap is None else round(plan.gap, 4),
                "method": plan.method,
                "solver_status": plan.status,
                "solve_s": round(plan.solve_s, 2),
                "solve_wall_s": round(t2 - t1, 2),
                "baseline_s": round(t1 - t0, 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
