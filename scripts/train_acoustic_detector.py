"""Train the learned acoustic drone detector and write ``sensors/data/acoustic_detector.json`` and its model card.

Usage (CPU is shared: one core, low priority):
  OMP_NUM_THREADS=1 nice -n 10 python scripts/train_acoustic_detector.py [--data DIR] [--cache FILE] [--quick]

Data: ``DIR/drone-audio-train`` (default ``../shared/data/acoustic``) plus synthesised audio
(``sensors/acoustic/synth.py``). The development set ``drone-audio-dev`` is never used for training or tuning;
``bench/bench_acoustic_detector.py`` reports it as a hold-out.

Steps: (1) groups — a drone clip's recording segment (the name before ``-bebop_``/``-membo_``; the ``extra_membo``
cuts in blocks of ten consecutive numbers), an environmental clip's source recording (ESC-50 fold and freesound
id); (2) five folds by group; every augmented or mixed example is built from clips of one fold only, so no
segment or source is on both sides of a split; (3) features (``sensors/acoustic/features.py``) cached in
``--cache``; (4) grouped cross-validation of a scikit-learn ``HistGradientBoostingClassifier`` (classes other,
multirotor, piston) and leave-one-drone-out runs (train without any Bebop, test on Bebop; same for Mambo);
(5) Platt calibration of the drone score ``log(P(multirotor) / P(other))`` on the out-of-fold scores of the real
clips; the threshold for 1 % false alarms on real non-drone clips; (6) the final model on all folds, exported as plain
arrays (evaluated by numpy at run time: no scikit-learn, no pickle).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from borderwatch.sensors.acoustic import synth
from borderwatch.sensors.acoustic.features import FEATURE_NAMES, FS_HZ, window_features
from borderwatch.sensors.acoustic.learned import (
    CLASSES,
    MODEL_FORMAT,
    export_hgb,
    model_path,
    predict_raw,
)

N_FOLDS = 5
SEED = 20261201
#: bump when the features, the synthesis or the example building change (keys the feature cache)
EXAMPLES_VERSION = 1
#: ESC-50 target ids (the clip name's last part without its final digit) of environmental sounds used as
#: backgrounds for mixing, and of "hard" negatives (tonal or engine-like) given more augmented variants
ESC_BACKGROUND = {1, 6, 7, 9, 10, 11, 13, 14, 16, 19, 44, 45}
ESC_HARD = {7, 13, 35, 36, 37, 40, 41, 42, 43, 44, 45, 46, 47, 49}
ESC_NAMES = {
    1: "rooster", 6: "hen", 7: "insects", 9: "crow", 10: "rain", 11: "sea_waves", 13: "crickets",
    14: "chirping_birds", 16: "wind", 19: "thunderstorm", 35: "washing_machine", 36: "vacuum_cleaner",
    37: "clock_alarm", 40: "helicopter", 41: "chainsaw", 42: "siren", 43: "car_horn", 44: "engine", 45: "train",
    46: "church_bells", 47: "airplane", 49: "hand_saw",
}  # fmt: skip
HGB_PARAMS: dict[str, Any] = {
    "max_iter": 250,
    "learning_rate": 0.08,
    "max_leaf_nodes": 15,
    "min_samples_leaf": 40,
    "l2_regularization": 1.0,
    "max_features": 0.7,
    "early_stopping": False,
    "random_state": 0,
}


def shared_acoustic_dir() -> Path:
    """``$BORDERWATCH_SHARED_DATA/acoustic`` or ``shared/data/acoustic`` beside the checkout (or one level up)."""
    repo = Path(__file__).resolve().parents[1]
    env = os.environ.get("BORDERWATCH_SHARED_DATA")
    for c in [Path(env)] if env else [repo.parent / "shared" / "data", repo.parent.parent / "shared" / "data"]:
        if c.is_dir():
            return c / "acoustic"
    return repo.parent / "shared" / "data" / "acoustic"


def clip_table(root: Path) -> list[dict[str, Any]]:
    """Every training clip with its kind (bebop, membo, unknown), group and ESC-50 class (or −1)."""
    rows = []
    for kind in ("bebop_1", "membo_1", "unknown"):
        for f in sorted((root / kind).glob("*.wav")):
            stem = f.stem
            esc = -1
            if kind == "unknown":
                parts = stem.split("-")
                if len(parts) == 4 and parts[0].isdigit() and parts[3].isdigit():
                    esc = int(parts[3][:-1])
                    group = f"esc:{parts[0]}-{parts[1]}"
                else:
                    group = f"other:{stem}"
            else:
                sep = "-bebop_" if kind == "bebop_1" else "-membo_"
                seg = stem.split(sep)[0]
                if seg.startswith("extra_membo_D2_"):
                    seg = f"extra_membo_D2_block{int(seg.rsplit('_', 1)[1]) // 10}"
                group = f"{kind}:{seg}"
            rows.append({"path": str(f), "kind": kind.split("_")[0], "group": group, "esc": esc})
    return rows


def assign_folds(rows: list[dict[str, Any]], rng: np.random.Generator) -> None:
    """Groups to folds, round-robin within each kind (and ESC class) after a shuffle."""
    strata: dict[str, list[str]] = {}
    for r in rows:
        key = r["kind"] if r["kind"] != "unknown" else f"esc{r['esc']}"
        strata.setdefault(key, [])
        if r["group"] not in strata[key]:
            strata[key].append(r["group"])
    fold_of: dict[str, int] = {}
    offset = 0
    for key in sorted(strata):
        groups = strata[key]
        order = rng.permutation(len(groups))
        for i, gi in enumerate(order):
            fold_of.setdefault(groups[gi], (i + offset) % N_FOLDS)
        offset += len(groups)
    for r in rows:
        r["fold"] = fold_of[r["group"]]


def build_examples(rows: list[dict[str, Any]], quick: bool) -> dict[str, np.ndarray]:
    """Features of the real clips and of their augmented / mixed / synthetic relatives, fold by fold."""
    import soundfile as sf

    feats, label, fold, tag, real, snr = [], [], [], [], [], []
    t0 = time.perf_counter()

    def add(x: np.ndarray, y: int, k: int, tg: str, is_real: bool, s: float = np.nan) -> None:
        feats.append(window_features(x)[0])
        label.append(y)
        fold.append(k)
        tag.append(tg)
        real.append(is_real)
        snr.append(s)

    scale = 0.25 if quick else 1.0
    for k in range(N_FOLDS):
        rng = np.random.default_rng([SEED, k])
        mine = [r for r in rows if r["fold"] == k]
        audio = {r["path"]: sf.read(r["path"], dtype="float64")[0] for r in mine}
        neg = [r for r in mine if r["kind"] == "unknown"]
        bgs = [audio[r["path"]] for r in neg if r["esc"] in ESC_BACKGROUND]

        def background(rng: np.random.Generator, n: int, bgs: list[np.ndarray] = bgs) -> np.ndarray:
            if bgs and rng.random() < 0.5:
                return bgs[int(rng.integers(len(bgs)))]
            return synth.noise(rng, str(rng.choice(synth.NOISE_KINDS)), max(n, FS_HZ) / FS_HZ)

        def maybe_crop(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
            return synth.crop(x, rng) if rng.random() < 0.1 else x

        for r in mine:
            x = audio[r["path"]]
            if not np.any(x != 0):
                continue  # digital silence: scored 0 by rule, not by the model
            if r["kind"] == "unknown":
                tg = f"esc:{ESC_NAMES.get(r['esc'], r['esc'])}" if r["esc"] >= 0 else "other"
                add(x, 0, k, tg, True)
                n_aug = 4 if r["esc"] in ESC_HARD else 1
                for _ in range(round(n_aug * scale) or 1):
                    add(maybe_crop(synth.augment(x, rng), rng), 0, k, tg + "+aug", False)
                s = float(rng.uniform(-10.0, 20.0))
                add(synth.augment(synth.mix(x, background(rng, x.size), s), rng), 0, k, tg + "+mix", False, s)
                continue
            y, tg = 1, r["kind"]
            add(x, y, k, tg, True)
            for _ in range(round(2 * scale) or 1):
                add(maybe_crop(synth.augment(x, rng), rng), y, k, tg + "+aug", False)
            for _ in range(round(3 * scale) or 1):
                s = float(rng.uniform(-10.0, 20.0))
                mixed = synth.mix(synth.augment(x, rng, strong=False), background(rng, x.size), s)
                add(maybe_crop(synth.augment(mixed, rng), rng), y, k, tg + "+mix", False, s)
        n_syn = round(300 * scale)
        for gen, y, tg in ((synth.multirotor, 1, "synth_multirotor"), (synth.piston, 2, "synth_piston")):
            for i in range(n_syn):
                x = gen(rng, 1.0)
                if i % 3:
                    s = float(rng.uniform(-10.0, 20.0))
                    mixed = synth.mix(x, background(rng, x.size), s)
                    add(maybe_crop(synth.augment(mixed, rng), rng), y, k, tg + "+mix", False, s)
                else:
                    add(maybe_crop(synth.augment(x, rng), rng), y, k, tg, False)
        for i in range(round(200 * scale)):
            kind = synth.NOISE_KINDS[i % len(synth.NOISE_KINDS)]
            x = synth.noise(rng, kind)
            if bgs and i % 2:
                x = synth.mix(x, bgs[int(rng.integers(len(bgs)))], float(rng.uniform(-10.0, 20.0)))
            add(synth.augment(x, rng), 0, k, f"synth_{kind}", False)
        print(f"fold {k}: {len(feats)} examples, {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return {
        "X": np.asarray(feats, dtype=np.float64),
        "y": np.asarray(label, dtype=np.int64),
        "fold": np.asarray(fold, dtype=np.int64),
        "tag": np.asarray(tag),
        "real": np.asarray(real, dtype=bool),
        "snr": np.asarray(snr, dtype=float),
    }


#: weight of the hard negatives (tonal and engine-like real sounds: ESC_HARD) relative to other negatives
HARD_WEIGHT = 2.0


def sample_weight(y: np.ndarray, tags: np.ndarray) -> np.ndarray:
    """Balanced class weights (each class the same total weight), hard negatives counted :data:`HARD_WEIGHT` times."""
    hard_tags = {f"esc:{ESC_NAMES.get(e, e)}" for e in ESC_HARD}
    w = np.where(np.isin(np.array([t.split("+")[0] for t in tags]), list(hard_tags)), HARD_WEIGHT, 1.0)
    for c in np.unique(y):
        w[y == c] *= y.size / (np.unique(y).size * np.sum(w[y == c]))
    return w


def fit(X: np.ndarray, y: np.ndarray, tags: np.ndarray) -> Any:
    from sklearn.ensemble import HistGradientBoostingClassifier

    m = HistGradientBoostingClassifier(**HGB_PARAMS)
    m.fit(X, y, sample_weight=sample_weight(y, tags))
    return m


def drone_logit(m: Any, X: np.ndarray) -> np.ndarray:
    """The score's input: ``log(P(multirotor) / P(other))`` (the piston class is left out: see the card)."""
    p = np.clip(m.predict_proba(X), 1e-9, 1.0)
    return np.asarray(np.log(p[:, 1] / p[:, 0]))


def piston_logit(m: Any, X: np.ndarray) -> np.ndarray:
    """The piston branch's input: ``log(P(piston) / P(other))``."""
    p = np.clip(m.predict_proba(X), 1e-9, 1.0)
    return np.asarray(np.log(p[:, 2] / p[:, 0]))


def auc(s: np.ndarray, lab: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(lab, s)) if 0 < lab.sum() < lab.size else float("nan")


def platt(logit: np.ndarray, lab: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e4).fit(logit[:, None], lab)
    return float(lr.coef_[0, 0]), float(lr.intercept_[0])


def sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)))


def pd_at_fa(p: np.ndarray, lab: np.ndarray, fa: float = 0.01) -> tuple[float, float]:
    """Threshold at false-alarm rate ``fa`` on the negatives and the share of positives above it."""
    thr = float(np.quantile(p[~lab], 1.0 - fa, method="higher"))
    return thr, float(np.mean(p[lab] > thr))


def summary(p: np.ndarray, lab: np.ndarray, tags: np.ndarray, thr: float) -> dict[str, Any]:
    """AUC, Brier and Pd at the threshold, overall and per positive class against all negatives."""
    out: dict[str, Any] = {
        "n_pos": int(lab.sum()), "n_neg": int((~lab).sum()), "roc_auc": round(auc(p, lab), 4),
        "brier": round(float(np.mean((p - lab) ** 2)), 4), "pd_at_threshold": round(float(np.mean(p[lab] > thr)), 4),
        "fa_at_threshold": round(float(np.mean(p[~lab] > thr)), 4), "per_class": {},
    }  # fmt: skip
    base = np.array([t.split("+")[0] for t in tags])
    for c in sorted(set(base[lab])):
        sel = (base == c) | ~lab
        pos = base == c
        out["per_class"][c] = {
            "n": int(pos.sum()),
            "roc_auc": round(auc(p[sel], pos[sel]), 4),
            "brier": round(float(np.mean((p[sel] - lab[sel]) ** 2)), 4),
            "pd_at_threshold": round(float(np.mean(p[pos] > thr)), 4),
        }
    return out


SNR_DB = (-10, -5, 0, 5, 10, 20)
#: ESC-50 classes standing for each noise type of the SNR sweep (with synthetic noise of the same type)
SWEEP_ESC = {"wind": {16}, "rain": {10}, "traffic": {44, 45}, "birds": {9, 14}}


def examples(data: str | None, cache_path: str, quick: bool) -> tuple[list[dict[str, Any]], dict[str, np.ndarray]]:
    """The clip table (with folds) and the example features (from the cache when it matches the code and data)."""
    root = Path(data or shared_acoustic_dir()) / "drone-audio-train"
    if not root.is_dir():
        sys.exit(f"{root}: training clips not found (see ../shared/data/README.md)")
    rows = clip_table(root)
    assign_folds(rows, np.random.default_rng(SEED))
    key = hashlib.sha256(
        json.dumps([EXAMPLES_VERSION, list(FEATURE_NAMES), [r["path"] for r in rows], quick]).encode()
    ).hexdigest()[:16]
    cache = Path(cache_path)
    if cache.is_file() and str(np.load(cache)["key"]) == key:
        print(f"features from {cache}", file=sys.stderr)
        return rows, dict(np.load(cache))
    d = build_examples(rows, quick)
    d["key"] = np.array(key)
    np.savez(cache, **d)
    return rows, d


def cross_validate(d: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray, list[Any]]:
    """Out-of-fold drone logits and class probabilities, and the fold models."""
    X, y, folds = d["X"], d["y"], d["fold"]
    oof = np.zeros(y.size)
    oof_proba = np.zeros((y.size, len(CLASSES)))
    models = []
    t0 = time.perf_counter()
    for k in range(N_FOLDS):
        tr, te = folds != k, folds == k
        m = fit(X[tr], y[tr], d["tag"][tr])
        oof[te] = drone_logit(m, X[te])
        oof_proba[te] = m.predict_proba(X[te])
        models.append(m)
        print(f"cv fold {k}: {time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
    return oof, oof_proba, models


def leave_one_drone_out(d: dict[str, np.ndarray]) -> dict[str, Any]:
    """Train without any clip (or variant) of one drone; test on its real clips and the real negatives of the
    held-out fold; pooled over folds."""
    X, y, folds, tags, real = d["X"], d["y"], d["fold"], d["tag"], d["real"]
    base = np.array([t.split("+")[0] for t in tags])
    out: dict[str, Any] = {}
    for held in ("bebop", "membo"):
        s_pos, s_neg = [], []
        for k in range(N_FOLDS):
            tr = (folds != k) & (base != held)
            m = fit(X[tr], y[tr], tags[tr])
            s_pos.append(drone_logit(m, X[(folds == k) & (base == held) & real]))
            s_neg.append(drone_logit(m, X[(folds == k) & (y == 0) & real]))
        sp, sn = np.concatenate(s_pos), np.concatenate(s_neg)
        lab = np.concatenate([np.ones(sp.size, bool), np.zeros(sn.size, bool)])
        out[held] = {
            "n_pos": int(sp.size),
            "n_neg": int(sn.size),
            "roc_auc": round(auc(np.concatenate([sp, sn]), lab), 4),
        }
        print(f"leave {held} out: {out[held]}", file=sys.stderr, flush=True)
    return out


def snr_sweep(rows: list[dict[str, Any]], models: list[Any], per_fold: int = 30) -> dict[str, Any]:
    """AUC of drone sound mixed into each noise type at each SNR against that noise alone, with each fold's
    model on that fold's clips (real Bebop/Mambo clips scored by the drone score; fresh synthetic piston drones
    scored by the piston branch) and noise (the fold's ESC-50 clips of the type and fresh synthetic noise)."""
    import soundfile as sf

    out: dict[str, Any] = {}
    for kind, esc in SWEEP_ESC.items():
        res: dict[str, dict[str, list[np.ndarray]]] = {"multirotor_real": {}, "piston_synthetic": {}}
        neg_all: list[np.ndarray] = []
        neg_pi: list[np.ndarray] = []
        for k in range(N_FOLDS):
            rng = np.random.default_rng([SEED, 99, k])
            m = models[k]
            fold_rows = [r for r in rows if r["fold"] == k]
            noises = [sf.read(r["path"])[0] for r in fold_rows if r["esc"] in esc]
            noises = [x for x in noises if np.any(x != 0)] + [
                synth.noise(rng, kind) for _ in range(max(8, len(noises)))
            ]
            drones = [sf.read(r["path"])[0] for r in fold_rows if r["kind"] in ("bebop", "membo")]
            pick = rng.choice(len(drones), min(per_fold, len(drones)), replace=False)
            neg = np.array([window_features(synth.augment(nz, rng, strong=False))[0] for nz in noises])
            neg_all.append(drone_logit(m, neg))
            neg_pi.append(piston_logit(m, neg))
            for snr in SNR_DB:
                pos_r = [
                    window_features(synth.mix(drones[i], noises[int(rng.integers(len(noises)))], snr))[0] for i in pick
                ]
                pos_p = [window_features(synth.mix(synth.piston(rng), noises[int(rng.integers(len(noises)))], snr))[0]
                         for _ in range(per_fold // 2)]  # fmt: skip
                res["multirotor_real"].setdefault(str(snr), []).append(drone_logit(m, np.array(pos_r)))
                res["piston_synthetic"].setdefault(str(snr), []).append(piston_logit(m, np.array(pos_p)))
        out[kind] = {"n_noise": int(sum(x.size for x in neg_all))}
        for src_name, by_snr in res.items():
            aucs = {}
            sn = np.concatenate(neg_pi if src_name == "piston_synthetic" else neg_all)
            for snr, parts in by_snr.items():
                sp = np.concatenate(parts)
                lab = np.concatenate([np.ones(sp.size, bool), np.zeros(sn.size, bool)])
                aucs[snr] = round(auc(np.concatenate([sp, sn]), lab), 4)
            out[kind][src_name] = aucs
        print(f"snr sweep {kind}: {out[kind]}", file=sys.stderr, flush=True)
    return out


CARD_STATIC = """
## Data and licences

* **drone-audio-train** (1,430 clips, 16 kHz mono, ≈1 s): Parrot Bebop (201 clips, 41 recording segments) and
  Parrot Mambo (229 clips) recorded indoors at close range, and 1,000 non-drone clips (ESC-50 environmental
  sounds and Speech Commands background noise), from the DroneAudioDataset — S. Al-Emadi, A. Al-Ali, A. Mohammad,
  A. Al-Ali, "Audio Based Drone Detection and Identification using Deep Learning", IWCMC 2019
  (github saraalemadi/DroneAudioDataset; no licence file: used for local development and training only).
  ESC-50: K. J. Piczak, "ESC: Dataset for Environmental Sound Classification", ACM MM 2015, **CC BY-NC 3.0** as a
  collection (clips from freesound under their own CC licences); Speech Commands: P. Warden 2018, CC BY 4.0.
  **The model is derived from CC BY-NC material: it inherits the non-commercial terms of ESC-50.** No clip is
  shipped; only the fitted trees. Clips that are all digital zeros are left out (silence scores 0 by rule).
* **Synthesised audio** (``sensors/acoustic/synth.py``): multirotors (2–8 rotors, blade-pass 60–700 Hz),
  fixed-wing piston drones from the simulator's own signatures (Shahed, Gerbera, Orlan-10 in
  ``sensors/data/acoustic.yaml``), wind, rain, traffic and bird noise; drone clips mixed into real and synthetic
  noise at −10…+20 dB; every example passes a random recording chain (gain, microphone tilt and resonance,
  band-limiting, resampling through 8–44.1 kHz, 8-bit quantisation, clipping, silent gaps, short crops).
* **drone-audio-dev** (36 clips) was not used for training or tuning; it is the reported hold-out
  (``bench/bench_acoustic_detector.py``). 12 of its 24 drone clips are other variants of segments that are in the
  training set, so its figure is optimistic; the bench also gives the AUC on the dev clips of unseen segments.

## Model

scikit-learn ``HistGradientBoostingClassifier`` (classes other / multirotor / piston, balanced class weights, tonal and
engine-like real negatives counted twice), exported as plain node arrays and evaluated by numpy (no scikit-learn,
no pickle at run time). ``score`` = Platt-calibrated ``P(drone)`` from ``log(P(multirotor) / P(other))``, fitted
on the out-of-fold scores of the real training clips (35 % drones). The piston class is kept out of the score's
input: with ``1 − P(other)`` real aircraft (ESC-50 airplane) and vacuum cleaners scored out of fold at ROC AUC
0.94 and 0.93 against the drones instead of 0.98; the piston probability is reported as a class probability.
``score`` is a probability at the training base rate (35 % drones); for a prior ``π`` instead, multiply its odds
by ``(π / (1 − π)) / (0.35 / 0.65)``. Windows: 1 s, hop 0.25 s; a clip's score is the mean over its windows.

## Features (47, all independent of the recording level)

12 cepstral coefficients of the mean log-mel spectrum (32 bands, 60–7800 Hz) and 6 octave-band levels relative to
the total; temporal spread of the mel levels (low/mid/high/median), spectral correlation 4 frames apart, level
spread of the strongest lines; log-mel flux (mean, spread); envelope spread and modulation spectrum (1–4, 4–8,
8–16, 16–32 Hz); the harmonic comb statistic (fundamentals 120–1000 Hz and 45–120 Hz) over a running-median
floor, harmonics standing out, peak statistics; tonal persistence (share of frames with a bin ≥ 6 dB over its
neighbourhood); cepstral pitch strength; spectral flatness (overall and three bands), log centroid, 85 % roll-off,
crest factor. See ``sensors/acoustic/features.py``.

## Known limits

* **Two real drones.** Every real drone clip is a Parrot Bebop or Mambo, indoors, close. Other drones are covered
  only through synthetic multirotors and the augmentations; the leave-one-drone-out figure above is the best
  estimate available here of how the model does on a drone it has never heard, and it is an estimate from one
  other small quadcopter only.
* **The piston (Shahed-class) class is synthetic only.** No real recording of a Shahed, Gerbera or Orlan is in
  the data; the class is learned from the simulator's assumed signatures. Its figures say how well the model
  separates those signatures from real noise, not how it does on a real one. Manned propeller aircraft (in
  ESC-50's airplane class and in the real world) sound alike; the false-alarm rate on the real airplane and
  helicopter clips is listed above.
* **Jet-powered drones (Geran-3 class) are not a class.** The simulator's jet signature is broadband with weak
  lines, which this data cannot separate from manned jets; they score as ``other`` or at random.
* **Range.** The real drone clips are close-range; distance is imitated by air-absorption low-pass filtering and
  mixing at low SNR. No claim is made about detection range from this model (the simulator's range figures
  come from its physical comb detector, which this model does not change).
* **Calibration** holds at the training base rate on recordings like the training clips; on other microphones and
  places the ranking (AUC) transfers better than the probabilities.
* **On a node** (``borderwatch acoustic node``) the model listens to one reference microphone; each window it
  accepts at the default thresholds gives a bearing report whose ``class_hint`` is the likelier drone class
  (``multirotor`` or ``piston``, the probabilities are not in the report contract); the bearing and its σ come from
  the array's DOA, not from this model.
"""


def write_card(doc: dict[str, Any], path: Path, model_file: Path) -> None:
    """The model card (markdown) at ``path`` with the figures of this training run."""
    cv = doc["cross_validation"]
    rc = cv["real_clips"]
    lines = [
        "# Acoustic drone detector — model card",
        "",
        f"Model file: ``{model_file.name}`` (format ``{doc['format']}``, "
        f"{model_file.stat().st_size / 1e6:.2f} MB), trained by ``scripts/train_acoustic_detector.py`` "
        f"with scikit-learn {doc['training']['sklearn']}; {doc['training']['examples']} training windows "
        f"({doc['training']['real_clips']} real clips, the rest augmented, mixed or synthetic).",
        "",
        "## Cross-validated figures (5 folds by recording segment / source recording)",
        "",
        f"Default operating point: a window is a detection when P(drone) ≥ **{doc['threshold']:.4f}** (0.5 % false "
        f"alarms of the score alone) or the piston branch ≥ **{doc['calibration']['piston']['threshold']:.4f}** (the "
        f"lowest at which the two together stay at 1 %), on the out-of-fold scores of the real non-drone clips: "
        f"false alarms **{doc['fa_at_threshold']:.4f}**, Pd **{doc['pd_at_threshold']:.3f}** on the real Bebop + "
        f"Mambo clips.",
        "",
        f"The score alone (table below) at 1 % false alarms: threshold {cv['threshold_1pct_fa']:.4f}.",
        "",
        "| set | class | n | ROC AUC | Brier | Pd at 1 % FA |",
        "|---|---|---|---|---|---|",
        f"| real clips | all drones | {rc['n_pos']} vs {rc['n_neg']} | {rc['roc_auc']} | {rc['brier']} "
        f"| {rc['pd_at_threshold']} |",
    ]
    for c, v in rc["per_class"].items():
        lines.append(f"| real clips | {c} | {v['n']} | {v['roc_auc']} | {v['brier']} | {v['pd_at_threshold']} |")
    ae = cv["all_examples"]
    lines.append(
        f"| all examples | all drones | {ae['n_pos']} vs {ae['n_neg']} | {ae['roc_auc']} | {ae['brier']} "
        f"| {ae['pd_at_threshold']} |"
    )
    for c, v in ae["per_class"].items():
        lines.append(f"| all examples | {c} | {v['n']} | {v['roc_auc']} | {v['brier']} | {v['pd_at_threshold']} |")
    lines += [
        "",
        f"False-alarm share at the score's 1 % threshold on the negatives: {ae['fa_at_threshold']} (all examples), "
        f"{rc['fa_at_threshold']} (real clips).",
    ]
    if "leave_one_drone_out" in cv:
        lo = cv["leave_one_drone_out"]
        lines += [
            "",
            "Leave one drone out (no clip of that drone in training; its real clips vs the real negatives "
            "of the held-out folds): " + ", ".join(f"{k} ROC AUC {v['roc_auc']}" for k, v in lo.items()) + ".",
        ]
    hard = {k: v for k, v in cv["real_negatives_fa"].items() if v["fa_at_threshold"] > 0}
    worst = sorted(hard.items(), key=lambda kv: -kv[1]["fa_at_threshold"])
    if hard:
        lines += ["", "Real negative classes with false alarms at the score's 1 % threshold: "
                  + ", ".join(f"{k} {v['fa_at_threshold']:.2f} (n={v['n']})" for k, v in worst) + "."]  # fmt: skip
    if "piston_branch" in cv:
        pb = cv["piston_branch"]
        lines += [
            "",
            f"Piston branch (its own score, threshold {pb['threshold']:.4f}; the table's synth_piston row is the "
            f"drone score, which leaves the piston class out): "
            f"synthetic piston drones vs real negatives ROC AUC {pb['roc_auc_synthetic_piston_vs_real_negatives']}, "
            f"Pd {pb['pd_synthetic_piston']}; false alarms on real negatives {pb['fa_real_negatives']} (on real "
            f"airplane and helicopter clips {pb['fa_airplane_helicopter']}). Score or piston branch together: "
            f"false alarms {pb['fa_real_negatives_either']}, Pd on the real drone clips {pb['pd_real_drones_either']}.",
        ]
    if "class_hint_accuracy_detected" in cv:
        lines += [
            "",
            "Class hint accuracy among detected drones (out of fold): "
            + ", ".join(f"{k} {v}" for k, v in cv["class_hint_accuracy_detected"].items())
            + ".",
        ]
    sw = doc.get("snr_sweep")
    if sw:
        snrs = list(next(iter(sw.values()))["multirotor_real"])
        lines += [
            "",
            "## SNR sweep (ROC AUC, drone + noise vs the noise alone, held-out folds)",
            "",
            "| noise | source | " + " | ".join(f"{s} dB" for s in snrs) + " |",
            "|---|---|" + "---|" * len(snrs),
        ]
        for kind, v in sw.items():
            for src in ("multirotor_real", "piston_synthetic"):
                lines.append(f"| {kind} | {src} | " + " | ".join(str(v[src][s]) for s in snrs) + " |")
    path.write_text("\n".join(lines) + "\n" + CARD_STATIC, encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=None, help="the acoustic data folder (default: ../shared/data/acoustic)")
    ap.add_argument("--cache", default="/tmp/borderwatch_acoustic_features.npz")
    ap.add_argument("--quick", action="store_true", help="a quarter of the augmented examples (tests of the script)")
    ap.add_argument("--out", default=str(model_path()))
    ap.add_argument("--no-lodo", action="store_true", help="skip the leave-one-drone-out runs")
    args = ap.parse_args()
    t0 = time.perf_counter()
    rows, d = examples(args.data, args.cache, args.quick)
    X, y, tags, real = d["X"], d["y"], d["tag"], d["real"]
    drone = y > 0
    oof, oof_proba, models = cross_validate(d)
    a, b = platt(oof[real], drone[real])
    p_oof = sigmoid(a * oof + b)
    thr1, pd1 = pd_at_fa(p_oof[real], drone[real])  # the score alone at 1 % false alarms (the CV figures)
    thr, _ = pd_at_fa(p_oof[real], drone[real], 0.005)  # the default: half the false-alarm budget for the score
    cv: dict[str, Any] = {
        "threshold_1pct_fa": round(thr1, 6),
        "real_clips": summary(p_oof[real], drone[real], tags[real], thr1),
        "all_examples": summary(p_oof, drone, tags, thr1),
    }
    cv["real_negatives_fa"] = {
        t: {
            "n": int(np.sum(real & (tags == t))),
            "fa_at_threshold": round(float(np.mean(p_oof[real & (tags == t)] > thr1)), 3),
        }
        for t in sorted(set(tags[real & ~drone]))
    }
    # the piston branch: Platt on synthetic piston examples vs real negatives, threshold for 1 % false alarms
    pil = np.log(np.clip(oof_proba[:, 2], 1e-9, 1.0) / np.clip(oof_proba[:, 0], 1e-9, 1.0))
    is_pi = y == 2
    neg_real = real & (y == 0)
    a_pi, b_pi = platt(pil[is_pi | neg_real], is_pi[is_pi | neg_real])
    p_pi = sigmoid(a_pi * pil + b_pi)
    # the piston threshold: the lowest at which score or piston branch together stay at 1 % false alarms
    base_fa = p_oof[neg_real] > thr
    thr_pi = 1.0 - 1e-9
    for c in np.unique(p_pi[neg_real]):
        if np.mean(base_fa | (p_pi[neg_real] > c)) <= 0.01:
            thr_pi = float(c)
            break
    pd_pi = float(np.mean(p_pi[is_pi] > thr_pi))
    either = (p_oof > thr) | (p_pi > thr_pi)
    aircraft = np.isin(tags, ["esc:airplane", "esc:helicopter"])
    cv["piston_branch"] = {
        "threshold": round(thr_pi, 6),
        "pd_synthetic_piston": round(pd_pi, 4),
        "roc_auc_synthetic_piston_vs_real_negatives": round(auc(p_pi[is_pi | neg_real], is_pi[is_pi | neg_real]), 4),
        "fa_real_negatives": round(float(np.mean(p_pi[neg_real] > thr_pi)), 4),
        "fa_real_negatives_either": round(float(np.mean(either[neg_real])), 4),
        "pd_real_drones_either": round(float(np.mean(either[real & drone])), 4),
        "fa_airplane_helicopter": round(float(np.mean(p_pi[neg_real & aircraft] > thr_pi)), 4),
    }  # fmt: skip
    det = drone & either
    hint = np.argmax(oof_proba[:, 1:], axis=1) + 1
    cv["class_hint_accuracy_detected"] = {
        CLASSES[c]: round(float(np.mean(hint[det & (y == c)] == c)), 4) for c in (1, 2) if np.any(det & (y == c))
    }
    if not args.no_lodo:
        cv["leave_one_drone_out"] = leave_one_drone_out(d)
    sweep = snr_sweep(rows, models)
    final = fit(X, y, tags)
    model = export_hgb(final)
    # the numpy evaluation must reproduce scikit-learn's
    ref = final.predict_proba(X[:500])
    raw = predict_raw(model, X[:500])
    ours = np.exp(raw - raw.max(axis=1, keepdims=True))
    ours /= ours.sum(axis=1, keepdims=True)
    err = float(np.max(np.abs(ours - ref)))
    assert err < 1e-6, f"exported trees disagree with scikit-learn by {err}"
    import sklearn

    counts = {t: int(np.sum(tags == t)) for t in sorted(set(tags))}
    doc = {
        "format": MODEL_FORMAT,
        "classes": list(CLASSES),
        "feature_names": list(FEATURE_NAMES),
        "calibration": {
            "kind": "platt",
            "a": a,
            "b": b,
            "input": "log(P(multirotor) / P(other))",
            "piston": {"a": a_pi, "b": b_pi, "threshold": round(thr_pi, 6), "input": "log(P(piston) / P(other))"},
        },
        "threshold": round(thr, 6),
        "threshold_rule": "0.5 % false alarms of the score on the out-of-fold real non-drone training clips; the "
        "piston branch's threshold the lowest at which the two together stay at 1 %",
        "pd_at_threshold": round(float(np.mean(either[real & drone])), 4),
        "fa_at_threshold": round(float(np.mean(either[neg_real])), 4),
        "trees": model,
        "training": {
            "sklearn": sklearn.__version__,
            "params": HGB_PARAMS,
            "folds": N_FOLDS,
            "seed": SEED,
            "examples": int(y.size),
            "example_counts": counts,
            "real_clips": int(real.sum()),
            "feature_cache_key": str(d["key"]),
        },
        "cross_validation": cv,
        "snr_sweep": sweep,
    }
    out = Path(args.out)
    out.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    write_card(doc, out.with_name(out.stem + "_card.md"), out)
    print(json.dumps({"model": str(out), "bytes": out.stat().st_size, "threshold": thr,
                      "score_threshold_1pct_fa": thr1, "score_pd_at_1pct_fa": pd1,
                      "cross_validation": cv, "snr_sweep": sweep, "seconds": round(time.perf_counter() - t0, 1)},
                     indent=1))  # fmt: skip


if __name__ == "__main__":
    main()
