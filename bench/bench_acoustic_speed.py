"""Learned acoustic detector: speed on one 16 kHz channel (one core), import cost, model size.

Prints one JSON object. Usage: python bench/bench_acoustic_speed.py [seconds_of_audio]

* ``x_real_time`` — seconds of audio per second of CPU for the full streaming chain (STFT, window features,
  trees, calibration, events) on one channel at 16 kHz; BLAS/OpenMP limited to one thread; best of 3 runs.
* ``import_s`` — CPU seconds a fresh interpreter that has imported ``borderwatch`` spends importing the detector
  and loading the model (median of 5; includes numpy's own import; ``import_wall_s`` the wall time);
  ``import_s_in_cli`` — the same after ``import borderwatch.cli`` (numpy already loaded), i.e. what the detector
  adds to a ``borderwatch`` command.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import json
import subprocess
import sys
import time

import numpy as np


def _increment(before: str) -> tuple[float, float]:
    """Wall and CPU seconds that importing the detector and loading the model take in a fresh interpreter that
    has already run ``before``."""
    code = (
        f"{before}\nimport time\nw, c = time.perf_counter(), time.process_time()\n"
        "import borderwatch.sensors.acoustic.learned as m\nm.load_detector()\n"
        "print(time.perf_counter() - w, time.process_time() - c)"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True, env={**os.environ})
    w, c = out.stdout.split()
    return float(w), float(c)


def _median(xs: list[float]) -> float:
    return sorted(xs)[len(xs) // 2]


def main() -> None:
    from borderwatch.sensors.acoustic import synth
    from borderwatch.sensors.acoustic.features import FS_HZ
    from borderwatch.sensors.acoustic.learned import events_from_windows, load_detector, model_path

    seconds = int(sys.argv[1]) if len(sys.argv) > 1 else 120
    rng = np.random.default_rng(0)
    x = 0.05 * rng.standard_normal(seconds * FS_HZ)
    d = synth.multirotor(rng, seconds / 4)
    x[seconds * FS_HZ // 2 : seconds * FS_HZ // 2 + d.size] += d
    det = load_detector()
    blocks = [x[i : i + FS_HZ * 10] for i in range(0, x.size, FS_HZ * 10)]
    list(det.stream(blocks[:2]))  # warm-up
    runs = []
    for _ in range(3):
        c0 = time.process_time()
        evs = list(events_from_windows(det.stream(blocks), det.threshold, detector=det))
        runs.append(time.process_time() - c0)
    best = min(runs)
    bare = [_increment("import borderwatch") for _ in range(5)]
    cli = [_increment("import borderwatch.cli") for _ in range(5)]
    size = model_path().stat().st_size
    print(
        json.dumps(
            {
                "bench": "acoustic_detector_speed",
                "audio_s": seconds,
                "cpu_s_best_of_3": round(best, 3),
                "x_real_time": round(seconds / best, 1),
                "target_x_real_time": 200,
                "events": len(evs),
                "import_s": round(_median([c for _, c in bare]), 3),
                "import_wall_s": round(_median([w for w, _ in bare]), 3),
                "import_s_in_cli": round(_median([c for _, c in cli]), 3),
                "import_wall_s_in_cli": round(_median([w for w, _ in cli]), 3),
                "target_import_s": 0.5,
                "model_bytes": size,
                "target_model_bytes": 5 * 1024 * 1024,
            }
        )
    )


if __name__ == "__main__":
    main()
