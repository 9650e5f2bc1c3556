"""Multi-node bearing-only fixes of a slow target vs the Cramér–Rao bound of the geometry.

Six acoustic nodes around a slow target (3 m/s, 150 m up) each report one azimuth (σ 2°) and elevation (σ 3°)
of the sound they receive (emitted at t − r/c, so the target has moved a little between the nodes' emissions).
Each Monte Carlo run feeds one snapshot of bearings to the tracker's bearing-only initiator
(``initiation.bearing_fixes``: pairing, support counting, ML Gauss–Newton fix). The bound is
``sqrt(trace(J⁻¹))`` with ``J = Σ Hᵢᵀ Rᵢ⁻¹ Hᵢ`` at the true position. Prints one JSON object.

    .venv/bin/python bench/bearing_crb.py [--runs 2000]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from borderwatch.geo.frames import LocalFrame
from borderwatch.tracking.initiation import bearing_fixes
from borderwatch.tracking.measurements import MeasBatch, predict, speed_of_sound
from borderwatch.tracking.testing import sites_from_enu, table_for

NODES = [(-1500.0, -800.0), (1200.0, -1400.0), (1800.0, 900.0), (-300.0, 1700.0), (-1900.0, 600.0), (400.0, -200.0)]
SIG_AZ, SIG_EL = np.radians(2.0), np.radians(3.0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    frame = LocalFrame(56.3, 27.6, 120.0)
    sites = sites_from_enu(frame, [(f"n{i}", "acoustic", e, n, 0.0) for i, (e, n) in enumerate(NODES)])
    tab = table_for(frame, sites)
    c = speed_of_sound(0.0)
    p_true = np.array([250.0, 150.0, 150.0])
    v_true = np.array([3.0, 0.0, 0.0])
    k = len(NODES)
    # emission positions: node i hears the target at reception time 0 from p(−τᵢ)
    tau = np.linalg.norm(p_true - tab.pos, axis=1) / c
    for _ in range(4):
        tau = np.linalg.norm(p_true - v_true * tau[:, None] - tab.pos, axis=1) / c
    pe = p_true - v_true * tau[:, None]
    x = np.zeros((k, 6))
    x[:, :3] = pe
    b = MeasBatch("bearing", np.zeros((k, 2)), np.zeros((k, 2, 2)), tab.pos, tab.rot)
    z_true, h = predict(x, b)
    # CRB at the (mean) emission position for a static target
    w = np.array([1 / SIG_AZ**2, 1 / SIG_EL**2])
    j = np.einsum("kdi,d,kdj->ij", h[:, :, :3], w, h[:, :, :3])
    crb = np.linalg.inv(j)
    bound = float(np.sqrt(np.trace(crb)))
    errs = []
    misses = 0
    for _ in range(a.runs):
        az = np.mod(z_true[:, 0] + rng.normal(0, SIG_AZ, k), 2 * np.pi)
        el = z_true[:, 1] + rng.normal(0, SIG_EL, k)
        fixes = bearing_fixes(
            t=np.zeros(k),
            node=np.arange(k),
            az=az,
            el=el,
            has_el=np.ones(k, dtype=bool),
            sig=np.tile([SIG_AZ, SIG_EL], (k, 1)),
            site=tab.pos,
            rot=tab.rot,
            max_range_m=4000.0,
            min_nodes=3,
            default_up_m=300.0,
            c_sound=c,
        )
        if not fixes:
            misses += 1
            continue
        best = max(fixes, key=lambda f: f.nodes.size)
        errs.append(best.pos - pe.mean(axis=0))
    e = np.array(errs)
    rmse = float(np.sqrt(np.mean(np.sum(e**2, axis=1))))
    print(
        json.dumps(
            {
                "bench": "bearing_crb",
                "nodes": k,
                "sigma_az_deg": 2.0,
                "sigma_el_deg": 3.0,
                "target_speed_mps": 3.0,
                "runs": a.runs,
                "fix_failures": misses,
                "rmse_m": round(rmse, 2),
                "crb_rmse_m": round(bound, 2),
                "ratio": round(rmse / bound, 3),
                "bias_m": [round(float(v), 2) for v in e.mean(axis=0)],
                "target_ratio": 1.1,
            }
        )
    )


if __name__ == "__main__":
    main()
