"""The training script's grouping: no recording segment or source recording on both sides of a split."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[3]


def _module() -> Any:
    spec = importlib.util.spec_from_file_location(
        "train_acoustic_detector", ROOT / "scripts" / "train_acoustic_detector.py"
    )
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_groups_and_folds(tmp_path: Path) -> None:
    tm = _module()
    names = {
        "bebop_1": [f"B_S2_D1_0{s}-bebop_00{v}_.wav" for s in (69, 72, 74, 76, 79, 83) for v in range(5)]
        + [f"mixed_{k}-bebop_00{v}_.wav" for k in (4, 5, 9) for v in range(3)],
        "membo_1": [f"Membo_0_00{s}-membo_00{v}_.wav" for s in range(2, 8) for v in range(5)]
        + [f"extra_membo_D2_20{k:02d}.wav" for k in range(1, 31)],
        "unknown": [f"1-1000{i}-A-{c}{s}.wav" for i in range(6) for c in (10, 47) for s in range(3)]
        + [f"silence{i:03d}.wav" for i in range(10)],
    }
    for d, files in names.items():
        (tmp_path / d).mkdir()
        for f in files:
            (tmp_path / d / f).touch()
    rows = tm.clip_table(tmp_path)
    assert len(rows) == sum(len(v) for v in names.values())
    tm.assign_folds(rows, np.random.default_rng(0))
    fold_of: dict[str, set[int]] = {}
    for r in rows:
        fold_of.setdefault(r["group"], set()).add(r["fold"])
    assert all(len(v) == 1 for v in fold_of.values())
    by = {r["path"].rsplit("/", 1)[1]: r for r in rows}
    # the variants of one segment share a group; ESC-50 takes of one source recording share a group
    assert by["B_S2_D1_069-bebop_000_.wav"]["group"] == by["B_S2_D1_069-bebop_004_.wav"]["group"]
    assert by["1-10003-A-100.wav"]["group"] == by["1-10003-A-472.wav"]["group"]
    assert by["1-10003-A-472.wav"]["esc"] == 47
    assert by["extra_membo_D2_2011.wav"]["group"] == by["extra_membo_D2_2019.wav"]["group"]
    # every kind spread over the folds
    for kind in ("bebop", "membo", "unknown"):
        assert len({r["fold"] for r in rows if r["kind"] == kind}) == tm.N_FOLDS
