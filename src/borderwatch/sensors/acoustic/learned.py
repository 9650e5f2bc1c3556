"""The learned acoustic drone detector: gradient-boosted trees over window features, calibrated, streaming.

The model (``sensors/data/acoustic_detector.json``, card beside it in ``acoustic_detector_card.md``) is trained by
``scripts/train_acoustic_detector.py`` with scikit-learn's ``HistGradientBoostingClassifier`` and exported as
plain arrays of tree nodes; it is evaluated here by numpy alone (no scikit-learn at run time, no pickle), so
loading is fast and safe.

* Classes: ``other``, ``multirotor``, ``piston`` (fixed-wing piston engine, Shahed class — learned from the
  simulator's signatures only, see the card).
* ``score`` — ``P(drone) = σ(a · log(P(multirotor) / P(other)) + b)`` (Platt calibration on held-back groups).
  The piston class is left out of the score's input: it is learned from synthetic signatures only, and letting
  it in raised real aircraft (ESC-50 airplane) and vacuum cleaners (out-of-fold ROC AUC against them 0.94 and
  0.93 instead of 0.98); the simulator's piston signatures still score far above real noise (P(other) is small).
* Windows of 1 s every 0.25 s (:mod:`~borderwatch.sensors.acoustic.features`); a window whose RMS is below
  :data:`SILENCE_RMS` (digital silence) scores 0.
* The **piston branch**: ``σ(a' · log(P(piston) / P(other)) + b')`` with its own threshold (calibrated on
  synthetic piston signatures, so it is a score, not a validated probability). A window is accepted when either
  the score or the piston branch reaches its threshold; the default thresholds give 0.5 % false alarms for the
  score alone and 1 % for the two together on the real non-drone training clips (out of fold).
* :func:`detect_stream` gives detection events (start, end, peak score and its time, class probabilities); an
  event is the union of the windows at or above the threshold, gaps up to :data:`MERGE_GAP_S` bridged.

>>> import numpy as np
>>> det = load_detector()
>>> r = det.score_signal(np.zeros(16000))
>>> (r.score, r.silent)
(0.0, True)
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.audio import ReadStats
from borderwatch.sensors.acoustic.features import (
    FEATURE_NAMES,
    FRAMES_PER_HOP,
    FRAMES_PER_WIN,
    FS_HZ,
    HOP,
    NFFT,
    WIN,
    WIN_HOP,
    features_from_frames,
    frame_spectra,
    window_features,
)

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

MODEL_FORMAT = "borderwatch-acoustic-detector/1"
CLASSES = ("other", "multirotor", "piston")
#: RMS (full scale 1.0) below which a window is silence (−120 dBFS)
SILENCE_RMS = 1e-6
#: events closer than this (s) are one event
MERGE_GAP_S = 0.5
#: windows computed per batch in streaming (≈ 16 s of audio)
BATCH_WINDOWS = 64


_NUMS = {"type": "array", "items": {"type": "number"}}
_INTS = {"type": "array", "items": {"type": "integer"}}
#: JSON Schema of the model file (docs/schemas/acoustic-detector.schema.json)
DETECTOR_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "borderwatch learned acoustic drone detector",
    "type": "object",
    "required": ["format", "classes", "feature_names", "calibration", "threshold", "trees"],
    "properties": {
        "format": {"const": MODEL_FORMAT},
        "classes": {"type": "array", "items": {"type": "string"}, "minItems": 2},
        "feature_names": {"type": "array", "items": {"type": "string"}},
        "calibration": {
            "type": "object",
            "required": ["kind", "a", "b"],
            "properties": {
                "kind": {"const": "platt"}, "a": {"type": "number"}, "b": {"type": "number"},
                "piston": {
                    "type": "object",
                    "required": ["a", "b", "threshold"],
                    "properties": {
                        "a": {"type": "number"}, "b": {"type": "number"},
                        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                    },
                },
            },
        },
        "threshold": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
        "pd_at_threshold": {"type": "number", "minimum": 0, "maximum": 1},
        "trees": {
            "type": "object",
            "required": ["baseline", "roots", "tree_class", "feature", "threshold", "left", "right",
                         "missing_left", "is_leaf", "value"],
            "properties": {
                "baseline": _NUMS, "roots": _INTS, "tree_class": _INTS, "feature": _INTS, "threshold": _NUMS,
                "left": _INTS, "right": _INTS, "missing_left": _INTS, "is_leaf": _INTS, "value": _NUMS,
            },
        },
        "training": {"type": "object"},
        "cross_validation": {"type": "object"},
        "snr_sweep": {"type": ["object", "null"]},
    },
}  # fmt: skip


def model_path() -> Path:
    from importlib import resources

    return Path(str(resources.files("borderwatch.sensors") / "data" / "acoustic_detector.json"))


# ----------------------------------------------------------------------------------------------- trees


def export_hgb(model: Any) -> dict[str, Any]:
    """A fitted ``HistGradientBoostingClassifier`` as plain lists: one node table for all trees, the root of each
    tree, the class each tree adds to, and the baseline (numerical features only)."""
    feat: list[int] = []
    thr: list[float] = []
    left: list[int] = []
    right: list[int] = []
    miss: list[int] = []
    leaf: list[int] = []
    value: list[float] = []
    roots: list[int] = []
    tree_class: list[int] = []
    for it in model._predictors:
        for c, pred in enumerate(it):
            nodes = pred.nodes
            if np.any(nodes["is_categorical"]):
                raise ValueError("categorical splits are not exported")
            off = len(feat)
            roots.append(off)
            tree_class.append(c)
            for nd in nodes:
                is_leaf = bool(nd["is_leaf"])
                feat.append(int(nd["feature_idx"]) if not is_leaf else 0)
                thr.append(float(nd["num_threshold"]) if not is_leaf else 0.0)
                left.append(int(nd["left"]) + off if not is_leaf else -1)
                right.append(int(nd["right"]) + off if not is_leaf else -1)
                miss.append(int(bool(nd["missing_go_to_left"])))
                leaf.append(int(is_leaf))
                value.append(float(nd["value"]) if is_leaf else 0.0)
    base = np.asarray(model._baseline_prediction, dtype=float).ravel()
    if base.size == 1 and len(model.classes_) == 2:
        raise ValueError("binary models are not exported (train with the three classes)")
    return {
        "baseline": base.tolist(),
        "roots": roots,
        "tree_class": tree_class,
        "feature": feat,
        "threshold": thr,
        "left": left,
        "right": right,
        "missing_left": miss,
        "is_leaf": leaf,
        "value": value,
    }


@dataclass(frozen=True, slots=True)
class Trees:
    baseline: FloatArray
    roots: IntArray
    tree_class: IntArray
    feature: IntArray
    threshold: FloatArray
    left: IntArray
    right: IntArray
    missing_left: NDArray[np.bool_]
    is_leaf: NDArray[np.bool_]
    value: FloatArray

    @classmethod
    def from_dict(cls, d: dict[str, Any], n_features: int, n_classes: int) -> Trees:
        t = cls(
            np.asarray(d["baseline"], dtype=float),
            np.asarray(d["roots"], dtype=np.int64),
            np.asarray(d["tree_class"], dtype=np.int64),
            np.asarray(d["feature"], dtype=np.int64),
            np.asarray(d["threshold"], dtype=float),
            np.asarray(d["left"], dtype=np.int64),
            np.asarray(d["right"], dtype=np.int64),
            np.asarray(d["missing_left"], dtype=bool),
            np.asarray(d["is_leaf"], dtype=bool),
            np.asarray(d["value"], dtype=float),
        )
        n = t.feature.size
        if not all(a.size == n for a in (t.threshold, t.left, t.right, t.missing_left, t.is_leaf, t.value)):
            raise ValueError("node arrays differ in length")
        inner = ~t.is_leaf
        if np.any((t.left[inner] < 0) | (t.left[inner] >= n) | (t.right[inner] < 0) | (t.right[inner] >= n)):
            raise ValueError("a child index is out of range")
        if np.any((t.feature[inner] < 0) | (t.feature[inner] >= n_features)):
            raise ValueError("a split feature is out of range")
        if np.any(t.left[inner] <= np.flatnonzero(inner)) or np.any(t.right[inner] <= np.flatnonzero(inner)):
            raise ValueError("children must follow their parent (no cycles)")
        if t.baseline.size != n_classes or np.any((t.tree_class < 0) | (t.tree_class >= n_classes)):
            raise ValueError("baseline or tree classes do not match the classes")
        if t.roots.size != t.tree_class.size or np.any((t.roots < 0) | (t.roots >= n)):
            raise ValueError("bad tree roots")
        return t


def predict_raw(trees: Trees | dict[str, Any], X: FloatArray) -> FloatArray:
    """Raw scores (N, classes): the baseline plus every tree's leaf value, trees walked for all rows at once."""
    t = trees if isinstance(trees, Trees) else Trees.from_dict(trees, X.shape[1], len(np.ravel(trees["baseline"])))
    X = np.asarray(X, dtype=float)
    n = X.shape[0]
    node = np.broadcast_to(t.roots[None, :], (n, t.roots.size)).copy()
    rows = np.arange(n)[:, None]
    active = ~t.is_leaf[node]
    while np.any(active):
        nd = node[active]
        x = X[np.broadcast_to(rows, node.shape)[active], t.feature[nd]]
        go_left = np.where(np.isnan(x), t.missing_left[nd], x <= t.threshold[nd])
        node[active] = np.where(go_left, t.left[nd], t.right[nd])
        active = ~t.is_leaf[node]
    vals = t.value[node]  # (N, trees)
    out = np.tile(t.baseline, (n, 1))
    for c in range(t.baseline.size):
        out[:, c] += vals[:, t.tree_class == c].sum(axis=1)
    return out


# ----------------------------------------------------------------------------------------------- detector


@dataclass(frozen=True, slots=True)
class ClipResult:
    """A recording's score: the mean of its windows' calibrated drone probabilities, the class probabilities
    (mean over windows), the number of windows, whether it was silent, its share of clipped samples, and the
    piston branch's score (mean over windows). ``drone``: the score or the piston branch at its threshold."""

    score: float
    drone: bool
    class_probs: dict[str, float]
    windows: int
    silent: bool = False
    clipped_share: float = 0.0
    piston_score: float = 0.0


@dataclass(frozen=True, slots=True)
class Event:
    """A detection: start and end (s from the start of the recording), the peak score and its window's start,
    the mean class probabilities over the event's windows and the piston branch's peak."""

    start_s: float
    end_s: float
    peak_score: float
    peak_s: float
    class_probs: dict[str, float]
    piston_peak: float = 0.0

    @property
    def class_hint(self) -> str:
        drones = {k: v for k, v in self.class_probs.items() if k != "other"}
        return max(drones, key=lambda k: drones[k])

    def as_dict(self) -> dict[str, Any]:
        return {
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "peak_score": round(self.peak_score, 4),
            "peak_s": round(self.peak_s, 3),
            "class_hint": self.class_hint,
            "class_probs": {k: round(v, 4) for k, v in self.class_probs.items()},
            "piston_peak": round(self.piston_peak, 4),
        }


@dataclass(frozen=True, slots=True)
class Detector:
    """The loaded model: trees, calibration and default threshold (P(drone) of one window)."""

    trees: Trees
    a: float
    b: float
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict)
    #: the piston branch: Platt parameters of ``log(P(piston) / P(other))`` and its threshold (None: no branch)
    piston: tuple[float, float, float] | None = None

    def piston_probs(self, cp: FloatArray) -> FloatArray:
        """Calibrated piston-branch score of windows with class probabilities ``cp`` (K, 3); 0 without a branch."""
        if self.piston is None:
            return np.zeros(cp.shape[0])
        a, b, _ = self.piston
        c = np.clip(cp, 1e-9, 1.0)
        return np.asarray(1.0 / (1.0 + np.exp(-(a * np.log(c[:, 2] / c[:, 0]) + b))), dtype=float)

    def accepts(self, p: FloatArray, cp: FloatArray, threshold: float | None = None) -> NDArray[np.bool_]:
        """Windows the detector accepts: ``P(drone) >= threshold`` or the piston branch at or above its own."""
        ok = np.asarray(p) >= (self.threshold if threshold is None else threshold)
        if self.piston is not None:
            ok |= self.piston_probs(np.atleast_2d(cp)) >= self.piston[2]
        return np.asarray(ok, dtype=bool)

    def window_probs(self, F: FloatArray, rms: FloatArray | None = None) -> tuple[FloatArray, FloatArray]:
        """Calibrated ``P(drone)`` (K,) and class probabilities (K, 3) of window features ``F`` (K, features);
        windows with ``rms`` below :data:`SILENCE_RMS` give 0 and ``other``."""
        raw = predict_raw(self.trees, F)
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        cp = e / e.sum(axis=1, keepdims=True)
        c = np.clip(cp, 1e-9, 1.0)
        p = 1.0 / (1.0 + np.exp(-(self.a * np.log(c[:, 1] / c[:, 0]) + self.b)))
        if rms is not None:
            quiet = rms < SILENCE_RMS
            p = np.where(quiet, 0.0, p)
            cp[quiet] = np.array([1.0, 0.0, 0.0])
        return np.asarray(p, dtype=float), np.asarray(cp, dtype=float)

    def score_signal(self, x: FloatArray, *, clipped_share: float = 0.0) -> ClipResult:
        """Score a whole 16 kHz mono signal (mean over its 1 s windows; one shorter window if under 1 s)."""
        x = np.asarray(x, dtype=float)
        if x.size == 0:
            raise ValueError("empty signal")
        rms = _window_rms(x)
        F = window_features(x)
        p, cp = self.window_probs(F, rms)
        s = float(np.mean(p))
        mean_cp = cp.mean(axis=0)
        probs = {c: float(v) for c, v in zip(CLASSES, mean_cp, strict=True)}
        pi = float(np.mean(self.piston_probs(cp)))
        drone = s >= self.threshold or (self.piston is not None and pi >= self.piston[2])
        return ClipResult(s, drone, probs, int(p.size), bool(np.all(rms < SILENCE_RMS)), clipped_share, pi)

    def stream(self, blocks: Iterable[FloatArray]) -> Iterator[tuple[float, float, FloatArray]]:
        """``(window start s, P(drone), class probabilities)`` for every 1 s window (hop 0.25 s) of a signal given
        as consecutive 16 kHz blocks of any size (a file or a live input). A signal shorter than 1 s gives one
        window over all of it."""
        buf = np.zeros(0)
        consumed = 0  # samples dropped from the front of buf
        emitted = 0
        for blk in blocks:
            buf = np.concatenate([buf, np.asarray(blk, dtype=float)])
            k = 0 if buf.size < WIN else 1 + (buf.size - WIN) // WIN_HOP
            while k >= 1:
                kb = min(k, BATCH_WINDOWS)
                seg = buf[: WIN + (kb - 1) * WIN_HOP]
                yield from self._windows(seg, kb, consumed)
                emitted += kb
                buf = buf[kb * WIN_HOP :]
                consumed += kb * WIN_HOP
                k -= kb
        if emitted == 0 and buf.size:
            p, cp = self.window_probs(window_features(buf), _window_rms(buf))
            yield 0.0, float(p[0]), cp[0]

    def _windows(self, seg: FloatArray, k: int, offset: int) -> Iterator[tuple[float, float, FloatArray]]:
        p_fr, bpeak, bsq = frame_spectra(seg)
        starts = np.arange(k, dtype=np.int64) * FRAMES_PER_HOP
        F = features_from_frames(p_fr, bpeak, bsq, starts, FRAMES_PER_WIN, WIN // HOP)
        bidx = starts[:, None] + np.arange(WIN // HOP)[None, :]
        rms = np.sqrt(np.sum(bsq[bidx], axis=1) / WIN)
        p, cp = self.window_probs(F, rms)
        for i in range(k):
            yield (offset + i * WIN_HOP) / FS_HZ, float(p[i]), cp[i]


def _window_rms(x: FloatArray) -> FloatArray:
    if x.size < WIN:
        return np.array([float(np.sqrt(np.mean(x**2)))])
    k = 1 + (x.size - WIN) // WIN_HOP
    c = np.concatenate([[0.0], np.cumsum(x * x)])
    s = np.arange(k) * WIN_HOP
    return np.asarray(np.sqrt((c[s + WIN] - c[s]) / WIN), dtype=float)


def events_from_windows(
    windows: Iterable[tuple[float, float, FloatArray]],
    threshold: float,
    *,
    window_s: float = WIN / FS_HZ,
    detector: Detector | None = None,
) -> Iterator[Event]:
    """Group accepted windows into events: the union of the windows at or above ``threshold`` (or, with a
    ``detector``, the ones it :meth:`~Detector.accepts` at that threshold), gaps of at most :data:`MERGE_GAP_S`
    between them bridged (so events never overlap)."""
    cur: dict[str, Any] | None = None
    for t, p, cp in windows:
        if cur is not None and t > cur["end"] + MERGE_GAP_S + 1e-9:
            yield _event(cur)
            cur = None
        ok = bool(detector.accepts(np.array([p]), cp, threshold)[0]) if detector is not None else p >= threshold
        if not ok:
            continue
        pi = float(detector.piston_probs(np.atleast_2d(cp))[0]) if detector is not None else 0.0
        if cur is None:
            cur = {"start": t, "end": t + window_s, "peak": p, "peak_t": t, "cp": [cp], "pi": pi}
            continue
        cur["end"] = t + window_s
        cur["cp"].append(cp)
        cur["pi"] = max(cur["pi"], pi)
        if p > cur["peak"]:
            cur["peak"], cur["peak_t"] = p, t
    if cur is not None:
        yield _event(cur)


def _event(c: dict[str, Any]) -> Event:
    m = np.mean(np.stack(c["cp"]), axis=0)
    return Event(
        float(c["start"]), float(c["end"]), float(c["peak"]), float(c["peak_t"]),
        {k: float(v) for k, v in zip(CLASSES, m, strict=True)}, float(c["pi"]),
    )  # fmt: skip


def parse_detector(d: Any, *, source: str) -> Detector:
    """A :class:`Detector` from the model file's JSON (rejects other formats and inconsistent tables)."""
    if not isinstance(d, dict) or d.get("format") != MODEL_FORMAT:
        got = d.get("format") if isinstance(d, dict) else type(d).__name__
        raise InputError(f"model format {got!r} is not {MODEL_FORMAT!r}", source=source)
    try:
        if list(d["feature_names"]) != list(FEATURE_NAMES):
            raise ValueError("feature names differ from this version's features; retrain")
        if list(d["classes"]) != list(CLASSES):
            raise ValueError(f"classes must be {list(CLASSES)}")
        trees = Trees.from_dict(d["trees"], len(FEATURE_NAMES), len(CLASSES))
        cal = d["calibration"]
        det = Detector(
            trees,
            float(cal["a"]),
            float(cal["b"]),
            float(d["threshold"]),
            {"pd_at_threshold": d.get("pd_at_threshold")},
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"bad detector model ({exc})", source=source) from None
    if not (np.isfinite(det.a) and np.isfinite(det.b) and 0.0 < det.threshold < 1.0):
        raise InputError("bad detector model: calibration must be finite and the threshold in (0, 1)", source=source)
    return det


@functools.cache
def load_detector(path: str | None = None) -> Detector:
    """The shipped detector (or one from ``path``), parsed once per process."""
    p = Path(path) if path else model_path()
    if not p.is_file():
        raise InputError("acoustic detector model missing; run scripts/train_acoustic_detector.py", source=str(p))
    try:
        d = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"cannot read detector model ({exc})", source=str(p)) from None
    return parse_detector(d, source=str(p))


def score_file(path: Path | str, detector: Detector | None = None) -> ClipResult:
    """Score a sound file: any rate ≥ 8 kHz, any channels, integer or float samples (``audio.read_blocks``)."""
    from borderwatch.sensors.acoustic.audio import read_16k

    det = detector or load_detector()
    st = ReadStats()
    x = read_16k(path, st)
    if x.size < NFFT // 4:
        raise InputError(f"only {x.size} samples at 16 kHz: too short to score", source=str(path))
    return det.score_signal(x, clipped_share=st.clipped_share)


def detect_stream(
    path: Path | str, detector: Detector | None = None, threshold: float | None = None
) -> tuple[list[Event], int, ReadStats]:
    """Detection events over a whole recording (read block by block), the number of windows and read stats."""
    from borderwatch.sensors.acoustic.audio import read_blocks

    det = detector or load_detector()
    st = ReadStats()
    n = 0

    def counted() -> Iterator[tuple[float, float, FloatArray]]:
        nonlocal n
        for w in det.stream(read_blocks(path, st)):
            n += 1
            yield w

    evs = list(events_from_windows(counted(), det.threshold if threshold is None else threshold, detector=det))
    return evs, n, st
