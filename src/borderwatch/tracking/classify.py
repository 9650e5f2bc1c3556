"""Class probabilities from kinematics (speed), acoustic class hints and radar cross-section.

A naive-Bayes fusion per track: accumulated log-likelihoods of hints and RCS (bounded so old evidence cannot
make a class impossible), times a speed likelihood from the current estimate (flat inside the class's speed
range, Gaussian tails outside), times a cooperative prior (ADS-B → crewed aircraft classes).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np
import yaml
from numpy.typing import NDArray

from borderwatch.sim.catalogue import load_catalogue

FloatArray = NDArray[np.float64]

COOPERATIVE_CLASSES = ("light_aircraft", "helicopter")


@dataclass(frozen=True, slots=True)
class ClassModel:
    names: tuple[str, ...]
    speed_min: FloatArray
    speed_max: FloatArray
    rcs_db: FloatArray
    rcs_sigma_db: float
    hint_accuracy: float

    @property
    def n(self) -> int:
        return len(self.names)

    def rcs_loglik(self, rcs_dbsm: FloatArray) -> FloatArray:
        """(k, C) log-likelihoods of measured RCS values (dBsm)."""
        d = (rcs_dbsm[:, None] - self.rcs_db[None]) / self.rcs_sigma_db
        out: FloatArray = -0.5 * d * d
        return out

    def hint_loglik(self, hints: list[str | None]) -> FloatArray:
        """(k, C) log-likelihoods of acoustic class hints (unknown hints carry no evidence)."""
        out = np.zeros((len(hints), self.n))
        wrong = np.log((1.0 - self.hint_accuracy) / max(self.n - 1, 1))
        right = np.log(self.hint_accuracy)
        idx = {n: i for i, n in enumerate(self.names)}
        for k, h in enumerate(hints):
            if h is not None and h in idx:
                out[k] = wrong
                out[k, idx[h]] = right
        return out

    def probabilities(self, evidence: FloatArray, speed: FloatArray, cooperative: NDArray[np.bool_]) -> FloatArray:
        """(n, C) class probabilities from accumulated evidence, current speeds (m/s) and cooperative flags."""
        below = np.maximum(self.speed_min[None] - speed[:, None], 0.0)
        above = np.maximum(speed[:, None] - self.speed_max[None], 0.0)
        kin = -0.5 * ((below + above) / 5.0) ** 2
        coop = np.array([n in COOPERATIVE_CLASSES for n in self.names])
        prior = np.where(cooperative[:, None] == coop[None], 0.0, -6.0)
        ll = np.maximum(evidence, evidence.max(axis=1, keepdims=True) - 12.0) + kin + prior
        ll -= ll.max(axis=1, keepdims=True)
        p = np.exp(ll)
        out: FloatArray = p / p.sum(axis=1, keepdims=True)
        return out


@cache
def default_class_model() -> ClassModel:
    cat = load_catalogue()
    sig = yaml.safe_load((resources.files("borderwatch.tracking") / "data" / "signatures.yaml").read_text("utf-8"))
    names = tuple(cat.classes)
    return ClassModel(
        names=names,
        speed_min=np.array([cat.classes[n].speed_mps.min for n in names], dtype=np.float64),
        speed_max=np.array([cat.classes[n].speed_mps.max for n in names], dtype=np.float64),
        rcs_db=np.array([float(sig["rcs_dbsm"].get(n, {"value": -10.0})["value"]) for n in names]),
        rcs_sigma_db=float(sig["rcs_sigma_db"]["value"]),
        hint_accuracy=float(sig["hint_accuracy"]["value"]),
    )
