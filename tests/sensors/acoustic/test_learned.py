from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.errors import InputError
from borderwatch.sensors.acoustic import synth
from borderwatch.sensors.acoustic.features import FEATURE_NAMES, FS_HZ
from borderwatch.sensors.acoustic.learned import (
    CLASSES,
    Trees,
    events_from_windows,
    export_hgb,
    load_detector,
    model_path,
    parse_detector,
    predict_raw,
    score_file,
)

runner = CliRunner()


def test_exported_trees_reproduce_scikit_learn() -> None:
    pytest.importorskip("sklearn")
    from sklearn.ensemble import HistGradientBoostingClassifier

    rng = np.random.default_rng(0)
    X = rng.standard_normal((600, 5))
    X[rng.random(X.shape) < 0.02] = np.nan
    y = (X[:, 0] > 0).astype(int) + (np.nan_to_num(X[:, 1]) > 1).astype(int)
    m = HistGradientBoostingClassifier(max_iter=20, max_leaf_nodes=7, random_state=0).fit(X, y)
    raw = predict_raw(export_hgb(m), X)
    p = np.exp(raw - raw.max(axis=1, keepdims=True))
    np.testing.assert_allclose(p / p.sum(axis=1, keepdims=True), m.predict_proba(X), atol=1e-9)


def _doc() -> dict:  # type: ignore[type-arg]
    return json.loads(model_path().read_text(encoding="utf-8"))


def test_model_file_is_small_and_rejects_tampering() -> None:
    assert model_path().stat().st_size <= 5 * 1024 * 1024
    det = parse_detector(_doc(), source="m.json")
    assert 0 < det.threshold < 1
    bad = _doc()
    bad["format"] = "other/0"
    with pytest.raises(InputError, match="model format"):
        parse_detector(bad, source="m.json")
    bad = _doc()
    bad["trees"]["left"][bad["trees"]["is_leaf"].index(0)] = 0  # a child pointing back to the root: a cycle
    with pytest.raises(InputError, match="bad detector model"):
        parse_detector(bad, source="m.json")
    bad = _doc()
    bad["feature_names"] = bad["feature_names"][:-1]
    with pytest.raises(InputError, match="feature names"):
        parse_detector(bad, source="m.json")


def test_trees_validate_indices() -> None:
    d = _doc()["trees"]
    d["feature"] = [len(FEATURE_NAMES) + 3 if not leaf else 0 for leaf in d["is_leaf"]]
    with pytest.raises(ValueError, match="split feature"):
        Trees.from_dict(d, len(FEATURE_NAMES), len(CLASSES))


def test_rotor_scores_above_noise_and_silence_scores_zero() -> None:
    det = load_detector()
    rng = np.random.default_rng(4)
    rotor = [det.score_signal(synth.mix(synth.multirotor(rng), synth.noise(rng, "wind"), 10.0)).score for _ in range(8)]
    noise = [det.score_signal(synth.noise(rng, k)).score for k in synth.NOISE_KINDS for _ in range(2)]
    assert np.mean(rotor) > np.mean(noise)
    r = det.score_signal(np.zeros(FS_HZ // 2))
    assert r.score == 0.0 and r.silent and r.windows == 1
    assert set(r.class_probs) == set(CLASSES)


def test_events_group_windows_and_merge_short_gaps() -> None:
    cp = np.array([0.2, 0.7, 0.1])
    # detections start at 0.25, 0.5, 1.0 and 2.25 s (within 0.5 s of the end of the windows before, 2.0 s: one
    # event) and at 4.0 s (0.75 s after that event's end, 3.25 s: a new event)
    scores = [0.1, 0.9, 0.95, 0.2, 0.8, 0.1, 0.1, 0.1, 0.1, 0.7, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.6, 0.1]
    wins = [(0.25 * i, s, cp) for i, s in enumerate(scores)]
    evs = list(events_from_windows(wins, 0.5))
    assert [(e.start_s, e.end_s) for e in evs] == [(0.25, 3.25), (4.0, 5.0)]
    assert evs[0].peak_score == 0.95 and evs[0].peak_s == 0.5 and evs[0].class_hint == "multirotor"
    assert all(a.end_s < b.start_s for a, b in itertools.pairwise(evs))


def test_stream_matches_clip_windows(tmp_path: Path) -> None:
    det = load_detector()
    rng = np.random.default_rng(5)
    x = np.concatenate([synth.noise(rng, "rain", 3.0) * 0.1, 0.1 * synth.multirotor(rng, 3.0)])
    blocks = [x[i : i + 7777] for i in range(0, x.size, 7777)]
    ws = list(det.stream(blocks))
    assert len(ws) == 1 + (x.size - FS_HZ) // (FS_HZ // 4)
    whole = det.score_signal(x)
    assert abs(np.mean([w[1] for w in ws]) - whole.score) < 1e-6


def _write(p: Path, x: np.ndarray, fs: int, subtype: str = "PCM_16") -> Path:
    sf.write(p, x, fs, subtype=subtype)
    return p


def test_any_wav_scores_or_names_its_problem(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    d = 0.3 * synth.multirotor(rng, 1.0)
    from borderwatch.sensors.acoustic.audio import resample_to_16k

    cases = {
        "8k_u8.wav": (resample_to_16k(d, FS_HZ)[::2], 8000, "PCM_U8"),
        "96k_24_stereo.wav": (
            np.repeat(np.interp(np.arange(96000) / 6, np.arange(d.size), d)[:, None], 2, 1),
            96000,
            "PCM_24",
        ),
        "44k_float.wav": (np.interp(np.arange(44100) * FS_HZ / 44100, np.arange(d.size), d), 44100, "FLOAT"),
        "short_0p2s.wav": (d[: FS_HZ // 5], FS_HZ, "PCM_32"),
        "silence.wav": (np.zeros(FS_HZ), FS_HZ, "PCM_16"),
        "clipped.wav": (np.clip(20 * d, -1, 1), FS_HZ, "PCM_16"),
    }
    for name, (x, fs, sub) in cases.items():
        r = score_file(_write(tmp_path / name, x, fs, sub))
        assert 0.0 <= r.score <= 1.0, name
    assert score_file(tmp_path / "silence.wav").silent
    clipped = cases["clipped.wav"][0]
    assert isinstance(clipped, np.ndarray)
    share = float(np.mean(np.abs(clipped) >= 0.999))
    assert share > 0.01
    assert abs(score_file(tmp_path / "clipped.wav").clipped_share - share) < 1e-3
    (tmp_path / "corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunkjunk")
    with pytest.raises(InputError, match=r"corrupt\.wav: cannot read audio"):
        score_file(tmp_path / "corrupt.wav")


def test_cli_detect_json_stream_and_bad_files(tmp_path: Path) -> None:
    rng = np.random.default_rng(7)
    x = np.concatenate(
        [0.02 * synth.noise(rng, "wind", 4.0), 0.3 * synth.multirotor(rng, 4.0), 0.02 * synth.noise(rng, "wind", 4.0)]
    )
    good = _write(tmp_path / "pass.wav", x, FS_HZ)
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio", encoding="utf-8")
    res = runner.invoke(app, ["acoustic", "detect", str(good), str(bad), "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert len(out) == 1 and out[0]["file"] == str(good) and 0 <= out[0]["score"] <= 1
    assert out[0]["windows"] == 1 + (x.size - FS_HZ) // (FS_HZ // 4)
    assert "bad.wav" in res.stderr and "rejected 1 of 2" in res.stderr
    res = runner.invoke(app, ["acoustic", "detect", "--stream", "--json", "--threshold", "0.0", str(good)])
    assert res.exit_code == 0, res.output
    st = json.loads(res.stdout)[0]
    # threshold 0: every window is a detection, so one event spans the recording
    assert len(st["events"]) == 1 and st["events"][0]["start_s"] == 0.0
    assert st["events"][0]["end_s"] == pytest.approx(x.size / FS_HZ, abs=0.26)
    res = runner.invoke(app, ["acoustic", "detect", "--stream", str(good)])
    assert res.exit_code == 0 and "event(s)" in res.stdout
    res = runner.invoke(app, ["acoustic", "detect", str(bad)])
    assert res.exit_code == 2


@pytest.mark.shared
def test_dev_clips_hold_out(shared_data: Path) -> None:
    from borderwatch.sensors.acoustic.clip import roc_auc

    root = shared_data / "acoustic" / "drone-audio-dev"
    if not root.is_dir():
        pytest.skip("drone-audio-dev clips absent")
    files = sorted(root.glob("*/*.wav"))
    labels = np.array([f.parent.name != "unknown" for f in files])
    det = load_detector()
    scores = np.array([score_file(f, det).score for f in files])
    assert roc_auc(scores, labels) >= 0.9


def test_shipped_model_matches_its_schema() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    from borderwatch.sensors.acoustic.learned import DETECTOR_SCHEMA

    jsonschema.validate(_doc(), DETECTOR_SCHEMA)
    assert (model_path().parent / "acoustic_detector_card.md").is_file()
