from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.errors import InputError
from borderwatch.sensors.acoustic import synth
from borderwatch.sensors.acoustic.features import FS_HZ
from borderwatch.sensors.acoustic.node import (
    DRONE_CLASSES,
    array_to_json,
    load_array,
    node_reports,
    node_windows,
    plane_wave_recording,
)
from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.reports import parse_report

runner = CliRunner()
C = float(speed_of_sound_mps(10.0))
T0 = 1_790_000_000.0


def _drone_recording(
    seed: int, geom: ArrayGeometry, az_deg: float, el_deg: float, kind: str, snr_db: float, duration_s: float = 2.0
) -> np.ndarray:
    """A synthetic multirotor arriving from (az, el) at every mic, each mic with its own noise of ``kind``."""
    rng = np.random.default_rng(seed)
    s = synth.multirotor(rng, duration_s)
    x = plane_wave_recording(s, FS_HZ, geom, az=np.radians(az_deg), el=np.radians(el_deg), c=C)
    n = s.size
    noise = [synth.noise(rng, kind, duration_s) + 0.01 * rng.standard_normal(n) for _ in x]
    return np.stack([synth.mix(ch, nz, snr_db) for ch, nz in zip(x, noise, strict=True)])


def _az_err(a: float, b: float) -> float:
    return abs((a - b + 180.0) % 360.0 - 180.0)


@pytest.mark.parametrize(
    ("seed", "geom", "az", "el", "kind", "snr"),
    [
        (11, ArrayGeometry.ring(), 237.0, 12.0, "wind", 5.0),
        (12, ArrayGeometry.ring(n_ring=8, radius_m=0.3, centre_height_m=0.4), 41.0, 25.0, "traffic", 10.0),
        (13, ArrayGeometry.ring(n_ring=5, radius_m=0.2, centre_height_m=None), 128.0, 5.0, "rain", 10.0),
    ],
)
def test_drone_at_known_direction_gives_bearings_within_sigma(
    seed: int, geom: ArrayGeometry, az: float, el: float, kind: str, snr: float
) -> None:
    x = _drone_recording(seed, geom, az, el, kind, snr)
    wins = node_windows(x, geom, sensor_id="ac-test", t0=T0, fs=FS_HZ)
    assert len(wins) >= 1  # 2 s: five windows; how many pass depends on the detector (its Pd on synthetic rotors)
    for w in wins:
        r = w.report
        assert r.sensor == "ac-test" and r.type == "bearing"
        assert r.class_hint in DRONE_CLASSES and r.class_hint == max(DRONE_CLASSES, key=lambda k: w.class_probs[k])
        assert _az_err(r.az_deg, az) <= 3.0 * r.sigma_az_deg, (r.az_deg, az, r.sigma_az_deg)
        assert r.sigma_az_deg >= 1.0  # the catalogue's bearing floor
        assert r.t == pytest.approx(T0 + w.start_s + 0.5)
        assert r.snr_db is not None and r.snr_db > 0.0
        assert w.score >= 0.0 and abs(sum(w.class_probs.values()) - 1.0) < 1e-6
        if geom.mics[:, 2].max() > 0:  # a raised mic resolves elevation
            assert r.el_deg is not None and r.sigma_el_deg is not None
            assert abs(r.el_deg - el) <= 3.0 * r.sigma_el_deg + 2.0
    assert [w.report for w in wins] == node_reports(x, geom, sensor_id="ac-test", t0=T0, fs=FS_HZ)


def test_bearings_hold_over_random_rotors_directions_and_noise() -> None:
    """Six random rotors (blade-pass 60–700 Hz; seed 105's is ≈ 680 Hz, above the signal path's 500 Hz comb
    limit, which gave bearings 90° off before the node searched wider) at random directions, noise and SNR."""
    geom = ArrayGeometry.ring()
    n_acc = 0
    for seed in range(100, 106):
        rng = np.random.default_rng(seed)
        az, el = float(rng.uniform(0, 360)), float(rng.uniform(0, 30))
        kind, snr = synth.NOISE_KINDS[seed % 4], float(rng.choice([0.0, 5.0, 10.0]))
        for r in node_reports(_drone_recording(seed, geom, az, el, kind, snr), geom, sensor_id="n", t0=0.0, fs=FS_HZ):
            n_acc += 1
            assert _az_err(r.az_deg, az) <= 3.0 * r.sigma_az_deg, (seed, r.az_deg, az)
    assert n_acc >= 6


@pytest.mark.parametrize(("seed", "kind"), [(21, "wind"), (22, "rain"), (23, "traffic")])
def test_noise_and_silence_give_no_reports(seed: int, kind: str) -> None:
    geom = ArrayGeometry.ring()
    rng = np.random.default_rng(seed)
    x = np.stack([synth.noise(rng, kind, 3.0) for _ in range(geom.n)])
    assert node_reports(x, geom, sensor_id="n", t0=T0, fs=FS_HZ) == []
    assert node_reports(np.zeros((geom.n, 3 * FS_HZ)), geom, sensor_id="n", t0=T0, fs=FS_HZ) == []


def test_channel_count_must_match_the_array(tmp_path: Path) -> None:
    geom = ArrayGeometry.ring()
    mono = tmp_path / "mono.wav"
    sf.write(mono, synth.multirotor(np.random.default_rng(3), 1.5), FS_HZ, subtype="PCM_16")
    with pytest.raises(InputError, match=r"mono\.wav: 1 channel\(s\) but the array has 7 microphones"):
        node_reports(mono, geom, sensor_id="n", t0=T0)
    with pytest.raises(InputError, match="reference channel 9"):
        node_reports(np.zeros((7, FS_HZ)), geom, sensor_id="n", t0=T0, fs=FS_HZ, ref_channel=9)
    arr = tmp_path / "array.json"
    arr.write_text(array_to_json(geom), encoding="utf-8")
    res = runner.invoke(app, ["acoustic", "node", str(mono), "--array", str(arr), "--sensor", "n", "--t0", "0"])
    assert res.exit_code == 2
    assert "1 channel(s) but the array has 7" in res.output and res.output.count("error:") == 1


def test_array_files_and_their_errors(tmp_path: Path) -> None:
    p = tmp_path / "a.yaml"
    p.write_text("ring_mics: 6\nring_radius_m: 0.25\ncentre_height_m: 0.35\n", encoding="utf-8")
    assert np.allclose(load_array(p).mics, ArrayGeometry.ring().mics)
    j = tmp_path / "a.json"
    j.write_text(array_to_json(ArrayGeometry.ring(n_ring=4)), encoding="utf-8")
    assert load_array(j).n == 5
    for text, msg in [
        ("mics: [[0, 0], [1, 1]]\n", "mics: must be a list of"),
        ("ring_mics: 1\n", "ring_mics: ring_mics must be an integer >= 2"),
        ("other: 3\n", "needs 'mics' or 'ring_mics'"),
        ("- 1\n", "must be a mapping"),
        ("mics: [[0, 0, 1], [0, 1, 1], [1, 0, 1]]\n", "at least 3 microphones must be at up = 0"),
    ]:
        p.write_text(text, encoding="utf-8")
        with pytest.raises(InputError, match=msg):
            load_array(p)
    with pytest.raises(InputError, match="array file not found"):
        load_array(tmp_path / "none.yaml")


def test_cli_node_writes_contract_reports(tmp_path: Path) -> None:
    geom = ArrayGeometry.ring()
    x = _drone_recording(31, geom, 300.0, 15.0, "birds", 10.0)
    # a node recording at 48 kHz, 24-bit: resampled on the way in
    from scipy.signal import resample_poly

    x48 = resample_poly(x, 3, 1, axis=1)
    wav = tmp_path / "node.wav"
    sf.write(wav, (0.5 * x48 / np.abs(x48).max()).T, 48000, subtype="PCM_24")
    arr = tmp_path / "array.yaml"
    arr.write_text("ring_mics: 6\nring_radius_m: 0.25\ncentre_height_m: 0.35\n", encoding="utf-8")
    out = tmp_path / "reports.jsonl"
    args = ["acoustic", "node", str(wav), "--array", str(arr), "--sensor", "ac-7", "--t0", "2026-12-01T12:00:00Z"]
    res = runner.invoke(app, [*args, "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(doc) == len(lines) >= 1
    t0 = 1796126400.0  # 2026-12-01T12:00:00Z
    for d, line in zip(doc, lines, strict=True):
        r = parse_report(json.loads(line))
        assert r.type == "bearing" and r.sensor == "ac-7"
        assert _az_err(r.az_deg, 300.0) <= 3.0 * r.sigma_az_deg
        assert r.t == pytest.approx(t0 + d["start_s"] + 0.5, abs=1e-3)
        assert set(d["class_probs"]) == {"other", "multirotor", "piston"}
        assert d["report"]["class_hint"] == r.class_hint in DRONE_CLASSES
    bad = runner.invoke(app, [*args[:-1], "yesterday"])
    assert bad.exit_code == 2 and "--t0" in bad.output and "ISO 8601" in bad.output
    naive = runner.invoke(app, [*args[:-1], "2026-12-01T12:00:00"])
    assert naive.exit_code == 2 and "no time zone" in naive.output
