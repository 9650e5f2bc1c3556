"""Benchmark: forecast back-test on a synthetic two-year register history; prints one JSON object.

Rolling origin over the last 26 weeks: refit the negative-binomial model on everything before the origin,
forecast the next 7 days per section, compare with the seasonal-naive forecast (same weekday a week earlier).
Targets (issue 14): MAE below the seasonal-naive MAE; 80 % interval coverage in 0.75-0.85. Coverage of
discrete counts is the randomised-PIT coverage (see borderwatch.crossings.forecast); the share of counts
inside the integer intervals is reported beside it with the intervals' model probability.

    python bench/events_forecast.py --seeds 0 1 2 3
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # a shared 2-core machine: BLAS threads only contend

import argparse
import json
import time

import numpy as np

from borderwatch.crossings.forecast import backtest, daily_counts
from borderwatch.crossings.sections import load_sections
from borderwatch.crossings.synthetic import NOTE, generate
from borderwatch.theatre import load_theatre


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--origins", type=int, default=26)
    ap.add_argument("--weather-only", action="store_true", help="Skip the variant without weather terms.")
    args = ap.parse_args()
    runs = [run(seed, args.origins, with_dry=not args.weather_only) for seed in args.seeds]
    keys = ("mae_model", "mae_seasonal_naive", "coverage_80", "coverage_80_randomised", "coverage_80_integer",
            "mean_interval_prob")  # fmt: skip
    summary: dict[str, object] = {}
    for variant in ("with_weather", "without_weather"):
        rs = [r[variant] for r in runs if variant in r]
        if rs:
            summary[variant] = {
                k: {"min": min(float(x[k]) for x in rs), "max": max(float(x[k]) for x in rs)} for k in keys
            }
            summary[variant]["beats_baseline_all_seeds"] = all(  # type: ignore[index]
                float(x["mae_model"]) < float(x["mae_seasonal_naive"]) for x in rs
            )
    print(json.dumps({"bench": "events_forecast", "seeds": args.seeds, "summary": summary, "runs": runs}, indent=1))


def run(seed: int, origins: int, *, with_dry: bool) -> dict[str, object]:
    secs = load_sections(load_theatre())
    day0 = 20_089  # 2025-01-01
    n = 730
    syn = generate(secs, day0=day0, n_days=n, rng=np.random.default_rng(seed), refusals=False)
    counts = daily_counts(syn.events, section_ids=secs.ids, day0=day0, n_days=n)
    out: dict[str, object] = {
        "seed": seed,
        "sections": len(secs.ids),
        "history_days": n,
        "events": int(counts.sum()),
        "data": NOTE,
    }
    variants = [("with_weather", syn.weather)] + ([("without_weather", None)] if with_dry else [])
    for name, weather in variants:
        t0 = time.perf_counter()
        bt = backtest(counts, day0=day0, weather=weather, origins=origins, section_ids=secs.ids)
        d = bt.as_dict()
        d["wall_s"] = round(time.perf_counter() - t0, 2)
        out[name] = d
    out["note"] = (
        "with_weather uses the observed synthetic weather for the forecast days (a perfect weather forecast); "
        "without_weather drops the weather terms"
    )
    return out


if __name__ == "__main__":
    main()
