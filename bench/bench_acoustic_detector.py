"""Learned acoustic detector: grouped cross-validation, leave-one-drone-out, SNR sweep, dev-set hold-out.

Prints one JSON object. Usage (needs ../shared/data/acoustic and scikit-learn from the dev extra):
  OMP_NUM_THREADS=1 nice -n 10 python bench/bench_acoustic_detector.py [--stored] [--no-lodo] [--cache FILE]

* ``cross_validation`` — five folds by recording segment / source recording (``scripts/train_acoustic_detector.py``
  builds every augmented and mixed example inside one fold): ROC AUC, Brier score and Pd at the 1 %-false-alarm
  threshold, overall and per class, on the real training clips and on all examples; false alarms per real
  negative class; leave-one-drone-out AUC (no Bebop in training, tested on Bebop; same for Mambo).
* ``snr_sweep`` — AUC of drone sound mixed into wind, rain, traffic, birds at −10…20 dB against that noise alone
  (fold models on their held-out fold).
* ``dev_holdout`` — the shipped model on ``drone-audio-dev`` (never used in training or tuning): ROC AUC of the
  score, and on the dev clips whose segment or source recording is not in the training set; accuracy, false
  alarms and Pd of the default decision (score or piston branch); the unlearned score's AUC for comparison.
* ``--stored`` prints the figures stored in the model file by the training run instead of recomputing them.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def _train_module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "train_acoustic_detector", REPO / "scripts" / "train_acoustic_detector.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def dev_holdout(tm: Any, data: Path) -> dict[str, Any]:
    from borderwatch.sensors.acoustic.clip import roc_auc
    from borderwatch.sensors.acoustic.clip import score_file as physics_score
    from borderwatch.sensors.acoustic.learned import load_detector, score_file

    dev = data / "drone-audio-dev"
    files = sorted(dev.glob("*/*.wav"))
    if not files:
        return {"skipped": f"{dev} absent"}
    train_groups = {r["group"] for r in tm.clip_table(data / "drone-audio-train")}
    det = load_detector()
    lab = np.array([f.parent.name != "unknown" for f in files])
    res = [score_file(f, det) for f in files]
    s = np.array([r.score for r in res])
    flag = np.array([r.drone for r in res])
    phys = np.array([physics_score(f).score for f in files])
    dev_rows = tm.clip_table(dev)
    unseen = np.array([r["group"] not in train_groups for r in dev_rows])
    return {
        "n": len(files),
        "n_drone": int(lab.sum()),
        "roc_auc": round(roc_auc(s, lab), 4),
        "accuracy_default": round(float(np.mean(flag == lab)), 4),
        "fa_default": round(float(np.mean(flag[~lab])), 4),
        "pd_default": round(float(np.mean(flag[lab])), 4),
        "unseen_groups": {"n": int(unseen.sum()), "n_drone": int((unseen & lab).sum()),
                          "roc_auc": round(roc_auc(s[unseen], lab[unseen]), 4)},
        "physics_score_roc_auc": round(roc_auc(phys, lab), 4),
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--stored", action="store_true")
    ap.add_argument("--no-lodo", action="store_true")
    ap.add_argument("--cache", default="/tmp/borderwatch_acoustic_features.npz")
    args = ap.parse_args()
    from borderwatch.sensors.acoustic.learned import model_path

    tm = _train_module()
    data = tm.shared_acoustic_dir()
    t0 = time.perf_counter()
    doc = json.loads(model_path().read_text(encoding="utf-8"))
    out: dict[str, Any] = {
        "bench": "acoustic_detector",
        "model_bytes": model_path().stat().st_size,
        "default_operating_point": {
            k: doc.get(k) for k in ("threshold", "threshold_rule", "pd_at_threshold", "fa_at_threshold")
        }
        | {"piston_threshold": doc["calibration"].get("piston", {}).get("threshold")},
    }
    if args.stored:
        out["source"] = "figures stored in the model file by its training run"
        out["cross_validation"] = doc["cross_validation"]
        out["snr_sweep"] = doc.get("snr_sweep")
    else:
        if not (data / "drone-audio-train").is_dir():
            print(json.dumps({"bench": "acoustic_detector", "skipped": f"{data} absent"}))
            return
        rows, d = tm.examples(str(data), args.cache, False)
        real, drone, tags = d["real"], d["y"] > 0, d["tag"]
        oof, _, models = tm.cross_validate(d)
        a, b = tm.platt(oof[real], drone[real])
        p = tm.sigmoid(a * oof + b)
        thr, _ = tm.pd_at_fa(p[real], drone[real])
        out["cross_validation"] = {
            "score_threshold_1pct_fa": round(thr, 4),
            "real_clips": tm.summary(p[real], drone[real], tags[real], thr),
            "all_examples": tm.summary(p, drone, tags, thr),
        }
        if not args.no_lodo:
            out["cross_validation"]["leave_one_drone_out"] = tm.leave_one_drone_out(d)
        out["snr_sweep"] = tm.snr_sweep(rows, models)
    out["dev_holdout"] = dev_holdout(tm, data)
    out["seconds"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(out))


if __name__ == "__main__":
    sys.exit(main())
