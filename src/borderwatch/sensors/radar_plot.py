"""Pd-versus-range of a catalogue radar for small and large targets: analytic curve and a Monte Carlo check.

The Monte Carlo draws the square-law detector directly: echo ``sqrt(SNR)·g₁`` (Swerling 1: ``g₁`` complex
Gaussian, so the RCS is exponential) plus receiver noise ``g₂``; detection when ``|echo + noise|² > −ln Pfa``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from borderwatch.errors import NotFoundError
from borderwatch.sensors.catalogue import RadarSpec, load_radar_catalogue
from borderwatch.sensors.radar import pd_swerling1, radar_snr_db, snr_db_to_lin

FloatArray = NDArray[np.float64]


def pd_monte_carlo(
    spec: RadarSpec, rcs_m2: float, ranges_m: FloatArray, n: int, rng: np.random.Generator
) -> FloatArray:
    snr = snr_db_to_lin(radar_snr_db(spec, rcs_m2, ranges_m))
    g = (rng.standard_normal((ranges_m.size, n)) + 1j * rng.standard_normal((ranges_m.size, n))) / np.sqrt(2)
    w = (rng.standard_normal((ranges_m.size, n)) + 1j * rng.standard_normal((ranges_m.size, n))) / np.sqrt(2)
    y = np.sqrt(snr)[:, None] * g + w
    return np.asarray(np.mean(np.abs(y) ** 2 > -np.log(spec.pfa.value), axis=1), dtype=float)


def pd_curves(model: str = "giraffe1x", n_mc: int = 4000, seed: int = 7) -> dict[str, Any]:
    rc = load_radar_catalogue()
    if model not in rc.radars:
        raise NotFoundError(f"no radar model {model!r} (known: {', '.join(sorted(rc.radars))})")
    spec = rc.radars[model]
    r = np.linspace(500.0, spec.instrumented_range_m.value, 150)
    rng = np.random.default_rng(seed)
    out: dict[str, Any] = {"model": model, "range_m": r.tolist(), "curves": {}}
    for rcs in (0.01, 1.0):
        ana = pd_swerling1(snr_db_to_lin(radar_snr_db(spec, rcs, r)), spec.pfa.value)
        mc = pd_monte_carlo(spec, rcs, r, n_mc, rng)
        out["curves"][f"{rcs:g}"] = {"analytic": ana.tolist(), "monte_carlo": mc.tolist(),
                                     "max_abs_diff": float(np.max(np.abs(ana - mc)))}  # fmt: skip
    return out


def pd_range_plot(out_png: Path | str, *, model: str = "giraffe1x") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d = pd_curves(model)
    r = np.asarray(d["range_m"]) / 1000.0
    fig, ax = plt.subplots(figsize=(7, 4.5), dpi=110)
    for key, colour in (("0.01", "tab:red"), ("1", "tab:blue")):
        c = d["curves"][key]
        ax.plot(r, c["analytic"], color=colour, label=f"{key} m² radar equation + Swerling 1")
        ax.plot(r[::4], np.asarray(c["monte_carlo"])[::4], "o", ms=3, color=colour, label=f"{key} m² Monte Carlo")
    ax.set_xlabel("range (km)")
    ax.set_ylabel("Pd per scan")
    ax.set_title(f"{model}: Pd versus range (no horizon or elevation limits)")
    ax.grid(True, alpha=0.4)
    ax.legend(fontsize=8)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
