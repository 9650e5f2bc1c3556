"""Reading any sound file a user gives into 16 kHz mono blocks for the detector.

``soundfile`` (libsndfile) reads WAV (8/16/24/32-bit integer, 32/64-bit float, mono to many channels), FLAC,
OGG and more; this module turns whatever it gives into float mono at :data:`features.FS_HZ`:

* channels are averaged; samples are read in blocks (a one-hour 96 kHz stereo file never sits in memory whole);
* other sample rates are resampled by a polyphase filter (``scipy.signal.resample_poly``), block by block with
  enough overlap that the result equals resampling the whole signal;
* what cannot be scored raises :class:`~borderwatch.errors.InputError` naming the file and the problem: missing
  file, unreadable or corrupt header, no samples, shorter than :data:`MIN_DURATION_S`, a sample rate below
  :data:`MIN_FS_HZ`, NaN or infinite samples. Silence and clipping are scored (the caller is told of them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.features import FS_HZ

FloatArray = NDArray[np.float64]

MIN_FS_HZ = 8000
MIN_DURATION_S = 0.1
#: input samples per block (≈ 10 s at 48 kHz)
BLOCK = 1 << 19
#: input samples of context either side of a block for the resampling filter
CONTEXT = 4096


@dataclass(frozen=True, slots=True)
class AudioInfo:
    """What the reader found: the file's rate, channels, length, and the share of clipped samples."""

    path: str
    fs_hz: int
    channels: int
    frames: int
    subtype: str

    @property
    def duration_s(self) -> float:
        return self.frames / self.fs_hz


def open_info(path: Path | str) -> AudioInfo:
    """Check that ``path`` is a sound file that can be scored; its rate, channels and length."""
    import soundfile as sf

    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    try:
        info = sf.info(str(p))
    except Exception as exc:  # libsndfile raises its own error types (corrupt or unknown header)
        msg = str(exc).split("\n")[0].strip() or type(exc).__name__
        raise InputError(f"cannot read audio (corrupt or unsupported header: {msg})", source=str(p)) from None
    fs = int(info.samplerate)
    frames = int(info.frames)
    if fs < MIN_FS_HZ:
        raise InputError(f"sample rate {fs} Hz is below {MIN_FS_HZ} Hz: too low for the detector", source=str(p))
    if frames <= 0:
        raise InputError("no samples", source=str(p))
    if frames / fs < MIN_DURATION_S:
        raise InputError(f"{frames / fs:.3f} s long; at least {MIN_DURATION_S} s is needed", source=str(p))
    return AudioInfo(str(p), fs, int(info.channels), frames, str(info.subtype))


def _resampler(fs: int) -> tuple[int, int]:
    r = Fraction(FS_HZ, fs).limit_denominator(1000)
    return r.numerator, r.denominator


def resample_to_16k(x: FloatArray, fs: float) -> FloatArray:
    """Resample a whole mono signal to 16 kHz (polyphase; identity at 16 kHz)."""
    from scipy.signal import resample_poly

    fs_i = round(fs)
    if fs_i == FS_HZ:
        return np.asarray(x, dtype=float)
    up, down = _resampler(fs_i)
    return np.asarray(resample_poly(np.asarray(x, dtype=float), up, down), dtype=float)


@dataclass(slots=True)
class ReadStats:
    """Running counts over the blocks read: samples at full scale, peak, sum of squares."""

    n: int = 0
    clipped: int = 0
    peak: float = 0.0

    @property
    def clipped_share(self) -> float:
        return self.clipped / self.n if self.n else 0.0


def read_blocks(path: Path | str, stats: ReadStats | None = None) -> Iterator[FloatArray]:
    """Yield the file as consecutive 16 kHz mono float blocks (their concatenation is the whole resampled file).

    Raises :class:`InputError` (naming the file) for anything that cannot be scored; ``stats`` collects clipping.
    """
    import soundfile as sf

    info = open_info(path)
    fs = info.fs_hz
    up, down = _resampler(fs)
    st = stats if stats is not None else ReadStats()
    try:
        f = sf.SoundFile(info.path)
    except Exception as exc:
        raise InputError(f"cannot read audio ({str(exc).splitlines()[0]})", source=info.path) from None
    with f:
        prev = np.zeros(0)
        pos_out = 0  # output samples already yielded
        read_in = 0
        done = False
        while not done:
            try:
                blk = f.read(BLOCK, dtype="float64", always_2d=True)
            except Exception as exc:
                raise InputError(f"cannot read audio data after {read_in} frames ({exc})", source=info.path) from None
            if blk.shape[0] == 0:
                done = True
                cur = np.zeros(0)
            else:
                if not np.all(np.isfinite(blk)):
                    raise InputError("audio contains NaN or infinite samples", source=info.path)
                st.n += blk.size
                a = np.abs(blk)
                st.peak = max(st.peak, float(a.max()))
                st.clipped += int(np.count_nonzero(a >= 0.999))
                cur = blk.mean(axis=1)
                read_in += blk.shape[0]
                done = blk.shape[0] < BLOCK
            if up == down:
                if cur.size:
                    yield cur
                continue
            from scipy.signal import resample_poly

            # resample the buffered input with context; emit the output samples that are now final
            buf = np.concatenate([prev, cur])
            if buf.size == 0:
                break
            y = resample_poly(buf, up, down)
            start_in = read_in - buf.size  # input index of buf[0]
            end_out = (read_in * up) // down if done else ((read_in - CONTEXT) * up) // down
            first_out = -(-start_in * up // down)
            lo, hi = pos_out - first_out, end_out - first_out
            if hi > lo:
                yield np.asarray(y[lo:hi], dtype=float)
                pos_out = end_out
            # keep context before the next output; start on a multiple of ``down`` so the output grids align
            nxt = max(0, (pos_out * down) // up - CONTEXT)
            nxt -= nxt % down
            prev = buf[max(0, nxt - start_in) :]
    if read_in == 0:
        raise InputError("no samples", source=info.path)


def read_16k(path: Path | str, stats: ReadStats | None = None) -> FloatArray:
    """The whole file as one 16 kHz mono array (for clips; long recordings go through :func:`read_blocks`)."""
    parts = list(read_blocks(path, stats))
    return np.concatenate(parts) if parts else np.zeros(0)
