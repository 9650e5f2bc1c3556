"""How long `borderwatch --help` takes (a command's start-up cost); prints JSON. Target: median ≤ 0.5 s.

python bench/cli_help.py [--runs 10]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=10)
    a = ap.parse_args(argv)
    exe = shutil.which("borderwatch") or str(Path(sys.executable).with_name("borderwatch"))
    times = []
    subprocess.run([exe, "--help"], capture_output=True, check=True)  # warm the file cache and .pyc files
    for _ in range(a.runs):
        t0 = time.perf_counter()
        subprocess.run([exe, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - t0)
    print(json.dumps({"bench": "cli_help", "runs": a.runs, "median_s": round(statistics.median(times), 3),
                      "min_s": round(min(times), 3), "max_s": round(max(times), 3), "target_s": 0.5}))  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
