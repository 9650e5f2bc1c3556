from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.sensors.acoustic.clip import roc_auc, score_file, score_signal

runner = CliRunner()


def _rotor(fs: float, rng: np.random.Generator) -> np.ndarray:
    t = np.arange(int(fs)) / fs
    x = sum(np.cos(2 * np.pi * 180.0 * h * t + rng.uniform(0, 6)) / h for h in range(1, 8))
    return np.asarray(0.1 * x + 0.05 * rng.standard_normal(t.size))


def test_harmonic_rotor_beats_noise_and_a_chirp() -> None:
    rng = np.random.default_rng(0)
    fs = 16000.0
    t = np.arange(int(fs)) / fs
    rotor = score_signal(_rotor(fs, rng), fs)[0]
    noise = score_signal(rng.standard_normal(t.size), fs)[0]
    chirp = score_signal(np.sin(2 * np.pi * (300 + 2000 * t) * t) + 0.1 * rng.standard_normal(t.size), fs)[0]
    assert rotor > 0.5 > max(noise, chirp)
    assert score_signal(np.zeros(16000), fs)[0] == 0.0


def test_cli_json_and_bad_file(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    good = tmp_path / "rotor.wav"
    sf.write(good, _rotor(16000.0, rng), 16000)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio", encoding="utf-8")
    res = runner.invoke(app, ["acoustic", "detect", "--physics", str(good), str(bad), "--json"])
    assert res.exit_code == 0
    out = json.loads(res.stdout)
    assert out[0]["file"] == str(good) and out[0]["drone"] is True and set(out[0]) == {"file", "score", "drone"}
    assert "rejected 1" in res.stderr
    res = runner.invoke(app, ["acoustic", "detect", "--physics", str(bad)])
    assert res.exit_code == 2


@pytest.mark.shared
def test_dev_clips_roc_auc(shared_data: Path) -> None:
    root = shared_data / "acoustic" / "drone-audio-dev"
    if not root.is_dir():
        pytest.skip("drone-audio-dev clips absent")
    files = sorted(root.glob("*/*.wav"))
    labels = np.array([f.parent.name != "unknown" for f in files])
    scores = np.array([score_file(f).score for f in files])
    assert roc_auc(scores, labels) >= 0.9
