"""Benchmark: forecast back-test on a synthetic two-year register history; prints one JSON object.

Rolling origin over the last 26 weeks: refit the negative-binomial model on everything before the origin,
forecast the next 7 days per section, compare with the seasonal-naive forecast (same weekday a week earlier).
Targets (issue 14): MAE below the seasonal-naive MAE; 80 % interval coverage in 0.75-0.85.
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
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--origins", type=int, default=26)
    args = ap.parse_args()
    secs = load_sections(load_theatre())
    day0 = 20_089  # 2025-01-01
    n = 730
    syn = generate(secs, day0=day0, n_days=n, rng=np.random.default_rng(args.seed), refusals=False)
    counts = daily_counts(syn.events, section_ids=secs.ids, day0=day0, n_days=n)
    out: dict[str, object] = {
        "bench": "events_forecast",
        "seed": args.seed,
        "sections": len(secs.ids),
        "history_days": n,
        "events": int(counts.sum()),
        "data": NOTE,
    }
    for name, weather in (("with_weather", syn.weather), ("without_weather", None)):
        t0 = time.perf_counter()
        bt = backtest(counts, day0=day0, weather=weather, origins=args.origins, section_ids=secs.ids)
        d = bt.as_dict()
        d["wall_s"] = round(time.perf_counter() - t0, 2)
        out[name] = d
    out["note"] = (
        "with_weather uses the observed synthetic weather for the forecast days (a perfect weather forecast); "
        "without_weather drops the weather terms"
    )
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
