"""Coverage: probability of detection over the theatre for a layout, a target class and a height above ground.

Per point the acoustic Pd combines all nodes in one window (``1 − Π(1 − Pd_i)``, report-path model, typical
rpm, no Doppler); the radar Pd combines all radars in one scan (radar equation, Swerling 1, 4/3-earth horizon);
the combined Pd is ``1 − (1 − Pd_acoustic)(1 − Pd_radar)``. The border share is the fraction of the watched
border line (sampled every 500 m) with combined Pd ≥ 0.9.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import NDArray
from scipy.spatial import cKDTree

from borderwatch.errors import InputError
from borderwatch.sensors.acoustic.model import DetectorModel, harmonic_bin_snr, load_calibration
from borderwatch.sensors.catalogue import load_acoustic_catalogue, load_radar_catalogue
from borderwatch.sensors.layout import Layout
from borderwatch.sensors.radar import pd_at
from borderwatch.theatre.model import Theatre

FloatArray = NDArray[np.float64]
DEFAULT_CLASSES = ("shahed", "gerbera", "orlan10", "quadcopter", "fpv")
DEFAULT_ALTS_M = (50.0, 300.0, 1000.0)


@dataclass(frozen=True, slots=True)
class CoverageEnv:
    temperature_c: float = 10.0
    humidity_pct: float = 70.0
    wind_mps: float = 0.0
    night: bool = True


def pd_points(
    theatre: Theatre, layout: Layout, cls_id: str, alt_agl_m: float, lat: FloatArray, lon: FloatArray, env: CoverageEnv
) -> tuple[FloatArray, FloatArray]:
    """Acoustic and radar Pd (one window / one scan, all sensors combined) at points for a class and height."""
    cat = load_acoustic_catalogue()
    rc = load_radar_catalogue()
    cal = load_calibration()
    if cls_id not in rc.rcs_m2 and cls_id not in cat.classes:
        raise InputError(f"unknown class {cls_id!r} (known: {', '.join(sorted(rc.rcs_m2))})", field="--class")
    x, y = theatre.xy(lat, lon)
    p_miss_ac = np.ones(x.size)
    cls = cat.classes.get(cls_id)
    if layout.acoustic_ids and cls is not None and not cls.silent and cls_id in cal.pd_bias:
        assert cls.f0_hz is not None
        nx, ny = theatre.xy(layout.acoustic_lat, layout.acoustic_lon)
        tree = cKDTree(np.column_stack([nx, ny]))
        pairs = tree.query_ball_point(np.column_stack([x, y]), r=cat.node.max_range_m.value)
        pi = np.repeat(np.arange(x.size), [len(p) for p in pairs])
        ni = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs] + [np.empty(0, np.int64)])
        if pi.size:
            d = np.hypot(x[pi] - nx[ni], y[pi] - ny[ni])
            r = np.hypot(d, alt_agl_m - layout.array_height_agl_m)
            # every pair has the same rpm, height and weather: Pd depends on range only; evaluate it on a dense log grid
            r_grid = np.geomspace(max(float(r.min()), 1.0), max(float(r.max()), 1.0) + 1.0, 2000)
            snr, f0_rx = harmonic_bin_snr(
                cat, cls_id, f0_hz=cls.f0_hz.typical or 0.5 * (cls.f0_hz.min + cls.f0_hz.max), range_m=r_grid,
                height_agl_m=alt_agl_m, radial_speed_mps=0.0, temperature_c=env.temperature_c,
                humidity_pct=env.humidity_pct, night=env.night, wind_mps=env.wind_mps,
            )  # fmt: skip
            det = DetectorModel.from_calibration(cat, cal)
            pd_grid = det.pd(cls_id, snr, f0_rx, night=env.night, wind_mps=env.wind_mps)
            pd = np.interp(np.log(np.maximum(r, 1.0)), np.log(r_grid), pd_grid)
            lm = np.log1p(-np.minimum(pd, 1 - 1e-12))
            p_miss_ac = np.exp(np.bincount(pi, weights=lm, minlength=x.size))
    p_miss_rad = np.ones(x.size)
    rcs = rc.rcs_m2[cls_id].value if cls_id in rc.rcs_m2 else 0.1
    g_pts = theatre.ground_height_m(lat, lon)
    for site in layout.radars:
        spec = rc.radars[str(site.extra.get("model", "giraffe1x"))]
        rx, ry = theatre.xy(site.lat, site.lon)
        g_r = float(theatre.ground_height_m(site.lat, site.lon))
        d = np.hypot(x - rx, y - ry)
        pd = pd_at(spec, rcs, d, alt_agl_m + g_pts - g_r, site.alt_m - g_r)
        p_miss_rad *= 1.0 - pd
    return 1.0 - p_miss_ac, 1.0 - p_miss_rad


def border_samples(theatre: Theatre, spacing_m: float = 500.0) -> tuple[FloatArray, FloatArray]:
    border = theatre.project(theatre.watched_border)
    xs, ys = [], []
    for part in shapely.get_parts(border):
        d = np.arange(0.0, part.length, spacing_m)
        pts = shapely.line_interpolate_point(part, d)
        xs.append(shapely.get_x(pts))
        ys.append(shapely.get_y(pts))
    lon, lat = theatre._to_ll.transform(np.concatenate(xs), np.concatenate(ys))
    return np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)


def border_coverage(
    theatre: Theatre,
    layout: Layout,
    classes: list[str],
    alts_m: list[float],
    env: CoverageEnv,
) -> dict[str, Any]:
    """Share of the watched border with Pd ≥ 0.9 per class and height (acoustic, radar, combined)."""
    lat, lon = border_samples(theatre)
    res = []
    for c in classes:
        for a in alts_m:
            pa, pr = pd_points(theatre, layout, c, a, lat, lon, env)
            comb = 1.0 - (1.0 - pa) * (1.0 - pr)
            res.append(
                {
                    "class": c,
                    "alt_agl_m": a,
                    "border_share_pd90": round(float(np.mean(comb >= 0.9)), 4),
                    "acoustic_share_pd90": round(float(np.mean(pa >= 0.9)), 4),
                    "radar_share_pd90": round(float(np.mean(pr >= 0.9)), 4),
                }
            )
    return {
        "layout": layout.name,
        "border_samples": int(lat.size),
        "sample_spacing_m": 500.0,
        "conditions": {
            "temperature_c": env.temperature_c,
            "humidity_pct": env.humidity_pct,
            "wind_mps": env.wind_mps,
            "night": env.night,
        },
        "results": res,
    }


def draw_coverage(
    theatre: Theatre, layout: Layout, cls_id: str, alt_agl_m: float, env: CoverageEnv, out_png: Path | str
) -> Path:
    """Map of combined Pd for one class and height, with the sensors."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from borderwatch.plot.basemap import new_map, watched_extent

    ext = watched_extent(theatre)
    lons = np.linspace(ext[0], ext[1], 220)
    lats = np.linspace(ext[2], ext[3], 180)
    glo, gla = np.meshgrid(lons, lats)
    pa, pr = pd_points(theatre, layout, cls_id, alt_agl_m, gla.ravel(), glo.ravel(), env)
    comb = (1.0 - (1.0 - pa) * (1.0 - pr)).reshape(gla.shape)
    fig, ax = new_map(theatre, ext, title=f"{theatre.title} — Pd ({cls_id}, {alt_agl_m:g} m AGL), layout {layout.name}")
    mesh = ax.pcolormesh(glo, gla, np.ma.masked_less(comb, 0.01), cmap="viridis", vmin=0, vmax=1, alpha=0.55,
                         shading="auto", zorder=5)  # fmt: skip
    ax.contour(glo, gla, comb, levels=[0.9], colors="white", linewidths=0.8, zorder=6)
    ax.scatter(layout.acoustic_lon, layout.acoustic_lat, s=2, c="#222222", zorder=7, label="acoustic node")
    ax.scatter([s.lon for s in layout.radars], [s.lat for s in layout.radars], marker="^", s=70, c="red",
               edgecolors="black", zorder=12, label="radar")  # fmt: skip
    ax.scatter([s.lon for s in layout.adsb], [s.lat for s in layout.adsb], marker="P", s=50, c="cyan",
               edgecolors="black", zorder=12, label="ADS-B")  # fmt: skip
    fig.colorbar(mesh, ax=ax, shrink=0.6, label="Pd (one look, all sensors)")
    ax.legend(loc="lower left", fontsize=8)
    out = Path(out_png)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, bbox_inches="tight")
    plt.close(fig)
    return out
