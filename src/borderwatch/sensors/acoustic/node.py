"""An acoustic node on real array audio: the learned detector gates, the array's DOA gives the bearing.

For a multichannel recording (one channel per microphone, in the order of the array file's microphones):

1. the **reference channel** (default 0), resampled to 16 kHz, goes through the learned detector's sliding
   windows (:meth:`~borderwatch.sensors.acoustic.learned.Detector.stream`: 1 s, hop 0.25 s);
2. a window the detector :meth:`~borderwatch.sensors.acoustic.learned.Detector.accepts` at its default
   threshold (score or piston branch) gives one bearing report; rejected windows give nothing;
3. the same 1 s of **all** channels, resampled to the signal path's rate (``acoustic.yaml`` ``node.fs_hz``), goes
   through :func:`~borderwatch.sensors.acoustic.signal.process_window` with the comb gate open (the learned
   detector has decided) and fundamentals up to :data:`NODE_F0_SEARCH_HZ`: the comb picks the harmonic bins,
   SRP-PHAT + ML refinement give azimuth and elevation, and the measured summed line SNR ``ξ`` of those bins is
   the report's ``snr_db``;
4. ``σ_az``, ``σ_el`` come from ``ξ`` by the report path's calibrated law (``acoustic_calibration.json``
   ``k_az_rad``/``k_el_rad``, fitted by ``scripts/calibrate_acoustic.py`` on this same DOA code, with the
   catalogue's ``bearing_floor_deg``), so real and simulated reports carry the same σ for the same ξ;
5. the report's ``t`` is ``t0`` + the window's centre; ``class_hint`` is the window's likelier drone class
   (``multirotor`` or ``piston``) — the report contract has one string there, so the probabilities stay in
   :class:`NodeWindow` (``--json`` of the CLI prints them).

The recording is read whole (float32): a node's file of an hour at 48 kHz with 7 channels is ≈ 0.5 GB.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.features import FS_HZ, WIN
from borderwatch.sensors.acoustic.signal import ArrayGeometry, process_window
from borderwatch.sensors.reports import BearingReport

FloatArray = NDArray[np.float64]

#: drone classes a class hint can name (the learned detector's classes without ``other``)
DRONE_CLASSES = ("multirotor", "piston")
#: fundamentals (Hz) the node's comb searches for the DOA's bins: the blade-pass range of ``synth.multirotor``
#: (60–700 Hz, heavy lifters to FPV) with a margin — wider than the signal path's calibrated 70–500 Hz, because
#: here the learned detector, not the comb's threshold, decides (measured: an FPV-like rotor at 680 Hz got a
#: bearing 90° off with the 500 Hz limit, where the comb locked onto noise bins)
NODE_F0_SEARCH_HZ = (60.0, 750.0)


@dataclass(frozen=True, slots=True)
class NodeWindow:
    """An accepted window: its report, the detector's score, piston-branch score and class probabilities."""

    report: BearingReport
    start_s: float
    score: float
    piston_score: float
    class_probs: dict[str, float]

    def as_dict(self) -> dict[str, Any]:
        from borderwatch.sensors.reports import report_to_dict

        return {
            "report": report_to_dict(self.report),
            "start_s": round(self.start_s, 3),
            "score": round(self.score, 4),
            "piston_score": round(self.piston_score, 4),
            "class_probs": {k: round(v, 4) for k, v in self.class_probs.items()},
        }


def load_array(path: Path | str) -> ArrayGeometry:
    """An array file (YAML or JSON): either ``mics: [[east, north, up], ...]`` (m, one row per channel) or a ring
    ``{ring_mics, ring_radius_m, centre_height_m}`` (channels: the ring from north clockwise, then the centre)."""
    import yaml

    p = Path(path)
    if not p.is_file():
        raise InputError("array file not found", source=str(p))
    try:
        d = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read array file ({str(exc).splitlines()[0]})", source=str(p)) from None
    if not isinstance(d, dict):
        raise InputError("array file must be a mapping with 'mics' or 'ring_mics'", source=str(p))
    try:
        if "mics" in d:
            m = np.asarray(d["mics"], dtype=float)
            if m.ndim != 2 or m.shape[1] != 3:
                raise ValueError("must be a list of [east, north, up] triples (m)")
            if not np.all(np.isfinite(m)):
                raise ValueError("must be finite numbers")
            geom = ArrayGeometry(m)
        elif "ring_mics" in d:
            n = d["ring_mics"]
            if not isinstance(n, int) or isinstance(n, bool) or n < 2:
                raise ValueError("ring_mics must be an integer >= 2")
            r = float(d.get("ring_radius_m", 0.25))
            if not (np.isfinite(r) and r > 0):
                raise ValueError("ring_radius_m must be > 0")
            ch = d.get("centre_height_m", 0.35)
            geom = ArrayGeometry.ring(n_ring=n, radius_m=r, centre_height_m=None if ch is None else float(ch))
        else:
            raise ValueError("needs 'mics' or 'ring_mics'")
    except (TypeError, ValueError) as exc:
        fld = "mics" if "mics" in d else "ring_mics"
        raise InputError(str(exc), source=str(p), field=fld) from None
    if int(np.sum(np.abs(geom.mics[:, 2]) < 1e-9)) < 3:
        raise InputError("at least 3 microphones must be at up = 0 (the horizontal ring)", source=str(p), field="mics")
    return geom


def _resample(x: NDArray[Any], fs_in: float, fs_out: float) -> FloatArray:
    from scipy.signal import resample_poly

    if round(fs_in) == round(fs_out):
        return np.asarray(x, dtype=float)
    r = Fraction(round(fs_out), round(fs_in)).limit_denominator(1000)
    return np.asarray(resample_poly(np.asarray(x, dtype=float), r.numerator, r.denominator, axis=-1), dtype=float)


def read_array_audio(path: Path | str) -> tuple[NDArray[np.float32], int]:
    """A multichannel recording as ``(channels, samples)`` float32 and its rate (``audio.open_info``'s checks)."""
    import soundfile as sf

    from borderwatch.sensors.acoustic.audio import open_info

    info = open_info(path)
    try:
        x, fs = sf.read(info.path, dtype="float32", always_2d=True)
    except Exception as exc:  # libsndfile's own error types
        raise InputError(f"cannot read audio data ({str(exc).splitlines()[0]})", source=info.path) from None
    if not np.all(np.isfinite(x)):
        raise InputError("audio contains NaN or infinite samples", source=info.path)
    return np.ascontiguousarray(x.T), int(fs)


def node_windows(
    source: Path | str | NDArray[Any],
    geometry: ArrayGeometry,
    *,
    sensor_id: str,
    t0: float,
    fs: float | None = None,
    detector: Any = None,
    ref_channel: int = 0,
    temperature_c: float = 10.0,
) -> list[NodeWindow]:
    """Bearing reports (with the detector's probabilities) of the windows the learned detector accepts.

    ``source``: a sound file, or samples ``(channels, samples)`` at ``fs`` Hz. ``t0``: UTC epoch s of the first
    sample. Raises :class:`InputError` when the channel count does not match the array or the audio is unusable.
    """
    from borderwatch.sensors.acoustic.learned import load_detector
    from borderwatch.sensors.acoustic.model import load_calibration
    from borderwatch.sensors.acoustic.physics import speed_of_sound_mps
    from borderwatch.sensors.catalogue import load_acoustic_catalogue
    from borderwatch.sensors.reports import wrap_az_deg

    name = None
    if isinstance(source, (str, Path)):
        name = str(source)
        x, fs_i = read_array_audio(source)
        fs_f = float(fs_i)
    else:
        if fs is None or not fs > 0:
            raise InputError("samples need a sample rate fs > 0", field="fs")
        x = np.atleast_2d(np.asarray(source))
        fs_f = float(fs)
    if x.shape[0] != geometry.n:
        raise InputError(
            f"{x.shape[0]} channel(s) but the array has {geometry.n} microphones (one channel per microphone)",
            source=name,
        )
    if not 0 <= ref_channel < geometry.n:
        raise InputError(f"reference channel {ref_channel} is not in 0..{geometry.n - 1}", field="ref_channel")
    if x.shape[1] < round(0.1 * fs_f):
        raise InputError(f"{x.shape[1] / fs_f:.3f} s long; at least 0.1 s is needed", source=name)
    det = detector if detector is not None else load_detector()
    cat = load_acoustic_catalogue()
    cal = load_calibration()
    c = float(speed_of_sound_mps(temperature_c))
    fs_doa = float(cat.node.fs_hz.value)
    floor = float(np.radians(cat.node.bearing_floor_deg.value))
    ref = _resample(x[ref_channel], fs_f, FS_HZ)
    win_native = round(WIN / FS_HZ * fs_f)
    out: list[NodeWindow] = []
    for start_s, p, cp in det.stream([ref]):
        if not bool(det.accepts(np.array([p]), cp)[0]):
            continue
        i0 = round(start_s * fs_f)
        seg = x[:, i0 : i0 + win_native]
        if seg.shape[1] < win_native // 2:
            continue
        seg8 = _resample(seg, fs_f, fs_doa)
        if seg8.shape[1] < int(cat.node.nfft.value) * 2:
            continue
        wr = process_window(seg8, geometry, cat, threshold=-np.inf, c_mps=c, f0_search_hz=NODE_F0_SEARCH_HZ)
        if wr.az is None or wr.el is None or wr.snr_db is None:
            continue
        xi = float(wr.snr_db)
        probs = {k: float(v) for k, v in zip(("other", "multirotor", "piston"), cp, strict=True)}
        hint = max(DRONE_CLASSES, key=lambda k: probs[k])
        centre = start_s + 0.5 * seg.shape[1] / fs_f
        rep = BearingReport(
            t=float(t0 + centre),
            sensor=sensor_id,
            az_deg=wrap_az_deg(float(np.degrees(wr.az))),
            sigma_az_deg=float(np.degrees(cal.sigma_az_rad(xi, floor))),
            el_deg=float(np.degrees(wr.el)),
            sigma_el_deg=float(np.degrees(cal.sigma_el_rad(xi, floor))),
            snr_db=xi,
            class_hint=hint,
        )
        pi = float(det.piston_probs(np.atleast_2d(cp))[0])
        out.append(NodeWindow(rep, float(start_s), float(p), pi, probs))
    return out


def node_reports(
    source: Path | str | NDArray[Any],
    geometry: ArrayGeometry,
    *,
    sensor_id: str,
    t0: float,
    fs: float | None = None,
    detector: Any = None,
    ref_channel: int = 0,
    temperature_c: float = 10.0,
) -> list[BearingReport]:
    """The bearing reports of :func:`node_windows` (time order)."""
    return [
        w.report
        for w in node_windows(
            source, geometry, sensor_id=sensor_id, t0=t0, fs=fs, detector=detector,
            ref_channel=ref_channel, temperature_c=temperature_c,
        )
    ]  # fmt: skip


def plane_wave_recording(
    source: FloatArray, fs: float, geometry: ArrayGeometry, *, az: float, el: float, c: float
) -> FloatArray:
    """A mono ``source`` (at ``fs``) arriving as a plane wave from azimuth ``az``, elevation ``el`` (rad) at every
    microphone: ``(M, N)``, each channel delayed by its arrival time relative to the centre (fractional delays
    applied in the frequency domain, circular over the signal's length)."""
    from borderwatch.sensors.acoustic.signal import unit_vector

    n = source.size
    tau = -(geometry.mics @ unit_vector(az, el)) / c
    f = np.fft.rfftfreq(n, 1.0 / fs)
    spec = np.fft.rfft(np.asarray(source, dtype=float))
    return np.asarray(np.fft.irfft(spec[None, :] * np.exp(-2j * np.pi * f[None, :] * tau[:, None]), n=n), dtype=float)


def array_to_json(geometry: ArrayGeometry) -> str:
    """The array file form of ``geometry`` (``{"mics": [...]}``)."""
    return json.dumps({"mics": geometry.mics.round(6).tolist()})
