from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic import audio
from borderwatch.sensors.acoustic.audio import ReadStats, open_info, read_16k, resample_to_16k


def _tone(fs: int, dur: float, channels: int = 1) -> np.ndarray:
    t = np.arange(round(fs * dur)) / fs
    x = 0.5 * np.sin(2 * np.pi * 440.0 * t)
    return np.repeat(x[:, None], channels, axis=1) if channels > 1 else x


@pytest.mark.parametrize("fs", [8000, 11025, 16000, 22050, 44100, 48000, 96000])
@pytest.mark.parametrize("subtype", ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"])
def test_rates_depths_and_stereo_read_to_16k(tmp_path: Path, fs: int, subtype: str) -> None:
    p = tmp_path / f"t_{fs}_{subtype}.wav"
    sf.write(p, _tone(fs, 0.5, channels=2), fs, subtype=subtype)
    x = read_16k(p)
    assert abs(x.size - 8000) <= 1
    # the 440 Hz tone survives at its level (8-bit quantisation noise is ~48 dB down)
    spec = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    assert abs(np.fft.rfftfreq(x.size, 1 / 16000)[np.argmax(spec)] - 440.0) < 4.0
    assert 0.3 < np.sqrt(np.mean(x[1000:-1000] ** 2)) < 0.4


def test_block_reading_equals_whole_resampling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(3)
    for fs in (8000, 44100, 48000):
        x = rng.uniform(-0.5, 0.5, round(fs * 3.3))
        p = tmp_path / f"n{fs}.wav"
        sf.write(p, x, fs, subtype="FLOAT")
        monkeypatch.setattr(audio, "BLOCK", 20000)
        y = read_16k(p)
        ref = resample_to_16k(np.asarray(sf.read(p)[0]), fs)
        assert y.size >= ref.size - 1
        np.testing.assert_allclose(y, ref[: y.size], atol=1e-6)


def test_clipping_is_counted(tmp_path: Path) -> None:
    p = tmp_path / "clip.wav"
    sf.write(p, np.clip(3.0 * _tone(16000, 1.0), -1.0, 1.0), 16000, subtype="PCM_16")
    st_ = ReadStats()
    read_16k(p, st_)
    assert st_.clipped_share > 0.3


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p.write_bytes(b"RIFF\x10\x00\x00\x00WAVEfmt \x02\x00garbage"), "cannot read audio"),
        (lambda p: p.write_text("not audio at all", encoding="utf-8"), "cannot read audio"),
        (lambda p: sf.write(p, np.zeros(0), 16000), "no samples"),
        (lambda p: sf.write(p, _tone(16000, 0.05), 16000), "at least"),
        (lambda p: sf.write(p, _tone(4000, 1.0), 4000), "sample rate 4000 Hz"),
        (lambda p: sf.write(p, np.full(16000, np.nan), 16000, subtype="FLOAT"), "NaN"),
    ],
)
def test_unscorable_files_give_one_clear_error(tmp_path: Path, make, needle: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "bad.wav"
    make(p)
    with pytest.raises(InputError) as exc:
        read_16k(p)
    msg = str(exc.value)
    assert str(p) in msg and needle in msg and "\n" not in msg


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="file not found"):
        open_info(tmp_path / "nope.wav")


def test_truncated_data_is_read_or_rejected_cleanly(tmp_path: Path) -> None:
    p = tmp_path / "cut.wav"
    sf.write(p, _tone(16000, 2.0), 16000, subtype="PCM_16")
    data = p.read_bytes()
    p.write_bytes(data[: len(data) // 2])  # header says 2 s, file holds 1 s
    try:
        x = read_16k(p)
    except InputError as exc:
        assert str(p) in str(exc)
    else:
        assert 0 < x.size <= 32000


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(min_size=0, max_size=400), st.integers(0, 3))
def test_fuzzed_headers_never_crash(tmp_path: Path, payload: bytes, kind: int) -> None:
    heads = [b"", b"RIFF", b"RIFF\x24\x00\x00\x00WAVE", b"RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00"]
    p = tmp_path / "fuzz.wav"
    p.write_bytes(heads[kind] + payload)
    try:
        x = read_16k(p)
    except InputError as exc:
        assert str(p) in str(exc)
    else:
        assert np.all(np.isfinite(x))
