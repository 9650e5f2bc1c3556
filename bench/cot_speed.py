"""Cursor-on-Target encode speed: tracks (+ their assessments) → CoT events → XML and TAK protobuf, one core.

Varied tracks (classes, identities, covariances, crossings, cooperative or not) are built first; the timed loop
is ``track_event`` + ``to_xml`` (and, separately, + ``to_proto``) over all of them, best of ``--repeat``.
Target (issue 15): ≥ 20,000 events/s for XML. Prints one JSON object.

    .venv/bin/python bench/cot_speed.py [--n 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from borderwatch.interop.cot import to_proto, to_xml, track_event

CLASSES = ["shahed", "geran3", "gerbera", "orlan10", "quadcopter", "fpv", "stray_lr", "light_aircraft", "helicopter"]
IDS = ["hostile", "suspect", "unknown", "neutral", "friend"]


def make(n: int, seed: int) -> list[tuple[dict[str, object], dict[str, object]]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        c = rng.choice(len(CLASSES), size=3, replace=False)
        p = rng.dirichlet(np.ones(3))
        s = float(rng.uniform(10, 500))
        tr = {
            "t": 1767225600.0 + i * 0.01,
            "track": f"T{i:06d}",
            "lat": float(rng.uniform(55.5, 57.5)),
            "lon": float(rng.uniform(26.0, 28.5)),
            "alt_m": float(rng.uniform(50, 3000)),
            "vel_enu_mps": [float(x) for x in rng.normal(0, 40, 3)],
            "cov_pos_enu_m2": [[s * s, 0.1 * s, 0.0], [0.1 * s, s * s * 1.3, 0.0], [0.0, 0.0, 4 * s * s]],
            "class": {CLASSES[int(k)]: round(float(v), 3) for k, v in zip(c, p, strict=True)},
            "sensors": [f"ac-{j}" for j in range(int(rng.integers(1, 4)))],
            "cooperative": bool(rng.random() < 0.1),
        }
        ass: dict[str, object] = {"identity": IDS[int(rng.integers(0, 5))], "class": CLASSES[int(c[0])], "score": 0.5}
        if rng.random() < 0.5:
            ass["crossing"] = {"t": tr["t"] + 300.0, "lat": 56.5, "lon": 28.0, "segment": "LV-RU-3", "sigma_m": 400.0,
                               "sigma_s": 20.0}  # fmt: skip
        out.append((tr, ass))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    data = make(a.n, a.seed)
    track_event(*data[0])  # load the type tables outside the timing
    res = {}
    for name, ser in (("xml", to_xml), ("proto", to_proto)):
        best = float("inf")
        nbytes = 0
        for _ in range(a.repeat):
            c0 = time.process_time()
            nbytes = sum(len(ser(track_event(t, s))) for t, s in data)
            best = min(best, time.process_time() - c0)
        res[name] = {"events_per_s": round(a.n / best), "cpu_s": round(best, 3), "mean_bytes": round(nbytes / a.n)}
    print(json.dumps({"bench": "cot_speed", "n": a.n, "target_xml_events_per_s": 20000,
                      "ok": res["xml"]["events_per_s"] >= 20000, **res}))  # fmt: skip


if __name__ == "__main__":
    main()
