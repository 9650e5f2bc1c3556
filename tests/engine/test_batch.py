"""The batch driver: `borderwatch run --open-loop` output is pinned, and the closed loop silences killed drones."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from borderwatch.engine.batch import run_pipeline
from borderwatch.engine.stepper import RunConfig
from borderwatch.sim.truth import read_truth

DATA = Path(__file__).parents[1] / "data"
GOLDEN = json.loads((DATA / "golden-night-raid-short.json").read_text())


@pytest.fixture(scope="module")
def open_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nr-open")
    run_pipeline(DATA / "night-raid-short.yaml", out, config=RunConfig(auto_approve=True, closed_loop=False))
    return out


@pytest.fixture(scope="module")
def closed_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nr-closed")
    run_pipeline(DATA / "night-raid-short.yaml", out, config=RunConfig(auto_approve=True))
    return out


@pytest.mark.slow
def test_open_loop_output_is_unchanged(open_run: Path) -> None:
    # The engine refactor was checked byte-identical against the pre-engine pipeline (d49569e) at commit 9607124;
    # the response rules changed deliberately after it (engagement zones, one queue entry per threat, outcomes
    # only on live tracks). This guards the open-loop batch output against any unintended change: regenerate
    # tests/data/golden-night-raid-short.json only with a change that means to alter the run's outputs.
    got = {name: hashlib.sha256((open_run / name).read_bytes()).hexdigest() for name in GOLDEN}
    assert got == GOLDEN


@pytest.mark.slow
def test_closed_loop_ends_killed_drones(closed_run: Path) -> None:
    s = json.loads((closed_run / "summary.json").read_text())
    assert s["closed_loop"] is True
    eng = [json.loads(x) for x in (closed_run / "engagements.jsonl").read_text().splitlines()]
    kills = [e for e in eng if e["outcome"] == "kill"]
    assert kills, "the short raid has kills with the auto-approve policy"
    truth = read_truth(closed_run / "truth.jsonl")
    with np.load(closed_run / "report_origins.npz") as z:
        tgt, te = z["target"], z["t_emit"]
    ends = {ti.id: float(truth.t[truth.idx == k].max()) for k, ti in enumerate(truth.targets)}
    t_last_all = float(truth.t.max())
    cut = [tid for tid, t in ends.items() if t < t_last_all - 60]
    assert cut, "some drone's truth ends early (killed)"
    # every cut drone ended at an intercept time of a kill
    t_kills = np.array([e["t_intercept"] for e in kills])
    for tid in cut:
        assert np.min(np.abs(t_kills - ends[tid])) <= 1.0, tid
    # the reports file holds what the sensors would have made; the engine was fed none after the kill
    assert tgt.size == len((closed_run / "reports.jsonl").read_text().splitlines())
    assert (te >= 0).all()
