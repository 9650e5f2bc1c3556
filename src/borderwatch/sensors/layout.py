"""Sensor layouts: where acoustic nodes, radars and ADS-B receivers stand (YAML, see docs/formats.md).

``acoustic_lines`` places nodes automatically along the watched border: each line is the set of points inside
the home country at ``offset_km`` from the border, sampled every ``spacing_km``. ``sensors`` lists explicit
sites (``type``: acoustic, radar or adsb; radars name a ``model`` from ``sensors/data/radar.yaml``).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import shapely
from numpy.typing import NDArray
from pydantic import Field

from borderwatch.config import Strict, read_yaml, validate
from borderwatch.errors import InputError, NotFoundError
from borderwatch.sensors.acoustic.signal import ArrayGeometry
from borderwatch.sensors.catalogue import load_acoustic_catalogue, load_radar_catalogue
from borderwatch.sensors.reports import SensorSite
from borderwatch.theatre.model import Theatre

FloatArray = NDArray[np.float64]
DEFAULT_LAYOUT = "latvia-east-default"


class AcousticLine(Strict):
    offset_km: float = Field(ge=0, le=100)
    spacing_km: float = Field(gt=0, le=100)


class ArrayCfg(Strict):
    ring_mics: int = Field(default=6, ge=2, le=64, description="microphones on the ring")
    ring_radius_m: float = Field(default=0.25, gt=0, le=10)
    centre_height_m: float | None = Field(default=0.35, gt=0, le=10)
    height_agl_m: float = Field(default=3.0, ge=0, le=100)

    def model_post_init(self, __context: Any) -> None:
        n = self.ring_mics + (1 if self.centre_height_m is not None else 0)
        if n < 3:
            raise ValueError(f"an array needs at least 3 microphones in all (has {n})")


class SiteCfg(Strict):
    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    type: Literal["acoustic", "radar", "adsb"]
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    model: str | None = None
    height_agl_m: float | None = Field(default=None, ge=0, le=500)


class LayoutCfg(Strict):
    name: str
    theatre: str = "latvia-east"
    acoustic_lines: list[AcousticLine] = Field(default_factory=list)
    array: ArrayCfg = ArrayCfg()
    sensors: list[SiteCfg] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Layout:
    """Resolved sites. Acoustic columns are arrays (vectorised report generation)."""

    name: str
    array: ArrayGeometry
    array_height_agl_m: float
    acoustic_ids: list[str]
    acoustic_lat: FloatArray
    acoustic_lon: FloatArray
    acoustic_alt: FloatArray  # HAE of the array centre, m
    acoustic_ground: FloatArray  # HAE of the ground, m
    radars: list[SensorSite]
    adsb: list[SensorSite]

    @property
    def sites(self) -> list[SensorSite]:
        mics = [[round(float(v), 4) for v in m] for m in self.array.mics]
        ac = [
            SensorSite(
                sid,
                "acoustic",
                round(float(la), 7),
                round(float(lo), 7),
                round(float(al), 2),
                {"height_agl_m": self.array_height_agl_m, "mics_enu_m": mics},
            )
            for sid, la, lo, al in zip(
                self.acoustic_ids, self.acoustic_lat, self.acoustic_lon, self.acoustic_alt, strict=True
            )
        ]
        return ac + self.radars + self.adsb


def layouts_dir() -> Path:
    return Path(str(resources.files("borderwatch.sensors") / "data" / "layouts"))


def resolve_layout_path(name_or_file: str | Path | None) -> Path:
    if name_or_file is None:
        name_or_file = DEFAULT_LAYOUT
    p = Path(name_or_file)
    if p.is_file():
        return p
    q = layouts_dir() / f"{name_or_file}.yaml"
    if q.is_file():
        return q
    have = ", ".join(sorted(x.stem for x in layouts_dir().glob("*.yaml")))
    raise NotFoundError(f"no layout {str(name_or_file)!r}: give a file or a shipped layout ({have})")


def load_layout_cfg(name_or_file: str | Path | None = None) -> tuple[LayoutCfg, str]:
    path = resolve_layout_path(name_or_file)
    cfg = validate(LayoutCfg, read_yaml(path), source=str(path))
    rc = load_radar_catalogue()
    seen: set[str] = set()
    for i, s in enumerate(cfg.sensors):
        if s.id in seen:
            raise InputError(f"duplicate sensor id {s.id!r}", source=str(path), field=f"sensors[{i}].id")
        seen.add(s.id)
        if s.type == "radar":
            model = s.model or "giraffe1x"
            if model not in rc.radars:
                raise InputError(
                    f"unknown radar model {model!r} (known: {', '.join(sorted(rc.radars))})",
                    source=str(path),
                    field=f"sensors[{i}].model",
                )
    return cfg, str(path)


def _sample_line(geom: Any, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    xs: list[FloatArray] = []
    ys: list[FloatArray] = []
    for part in shapely.get_parts(geom):
        if part.geom_type != "LineString" or part.length < 0.5 * spacing_m:
            continue
        d = np.arange(0.5 * spacing_m, part.length, spacing_m)
        pts = shapely.line_interpolate_point(part, d)
        xs.append(shapely.get_x(pts))
        ys.append(shapely.get_y(pts))
    if not xs:
        return np.empty(0), np.empty(0)
    return np.concatenate(xs), np.concatenate(ys)


def border_line_points(theatre: Theatre, offset_m: float, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    """Points (lat, lon) inside the home country at ``offset_m`` from the watched border, every ``spacing_m``.

    Cached on the theatre (the buffer of a 440 km border takes a second or two).
    """
    key = f"sensors.line.{offset_m:.3f}.{spacing_m:.3f}"
    if key not in theatre._cache:
        theatre._cache[key] = _border_line_points(theatre, offset_m, spacing_m)
    la, lo = theatre._cache[key]
    return la.copy(), lo.copy()


def _border_line_points(theatre: Theatre, offset_m: float, spacing_m: float) -> tuple[FloatArray, FloatArray]:
    border = theatre.project(theatre.watched_border)
    home = theatre.project(theatre.home.geometry)
    if offset_m <= 1.0:
        line = shapely.intersection(border, home.buffer(1.0))
    else:
        line = shapely.intersection(border.buffer(offset_m, quad_segs=4).boundary, home)
        # keep only the part near the watched border (not the far side of the buffer beyond other borders)
        line = shapely.line_merge(line) if line.geom_type == "MultiLineString" else line
    x, y = _sample_line(line, spacing_m)
    if x.size == 0:
        return np.empty(0), np.empty(0)
    tr = theatre._to_ll
    lon, lat = tr.transform(x, y)
    lat_a, lon_a = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    keep = theatre.in_home(lat_a, lon_a) if lat_a.size else np.zeros(0, dtype=bool)
    return lat_a[keep], lon_a[keep]


def build_layout(cfg: LayoutCfg, theatre: Theatre) -> Layout:
    """Resolve a layout configuration on a theatre: acoustic lines become node positions, heights from terrain."""
    ac_cat = load_acoustic_catalogue()
    rc = load_radar_catalogue()
    geom = ArrayGeometry.ring(
        n_ring=cfg.array.ring_mics, radius_m=cfg.array.ring_radius_m, centre_height_m=cfg.array.centre_height_m
    )
    del ac_cat
    ids: list[str] = []
    lats: list[FloatArray] = []
    lons: list[FloatArray] = []
    for li, ln in enumerate(cfg.acoustic_lines):
        la, lo = border_line_points(theatre, ln.offset_km * 1000.0, ln.spacing_km * 1000.0)
        ids += [f"ac-l{li}-{k:04d}" for k in range(la.size)]
        lats.append(la)
        lons.append(lo)
    radars: list[SensorSite] = []
    adsb: list[SensorSite] = []
    for s in cfg.sensors:
        g = float(theatre.ground_height_m(s.lat, s.lon))
        if s.type == "acoustic":
            ids.append(s.id)
            lats.append(np.array([s.lat]))
            lons.append(np.array([s.lon]))
        elif s.type == "radar":
            model = s.model or "giraffe1x"
            spec = rc.radars[model]
            h = s.height_agl_m if s.height_agl_m is not None else spec.antenna_height_agl_m.value
            radars.append(
                SensorSite(
                    s.id,
                    "radar",
                    s.lat,
                    s.lon,
                    round(g + h, 2),
                    {
                        "model": model,
                        "height_agl_m": h,
                        "scan_period_s": spec.scan_period_s.value,
                        "instrumented_range_m": spec.instrumented_range_m.value,
                        "min_elevation_deg": spec.min_elevation_deg.value,
                    },
                )
            )
        else:
            h = s.height_agl_m if s.height_agl_m is not None else rc.adsb.antenna_height_agl_m.value
            adsb.append(
                SensorSite(
                    s.id, "adsb", s.lat, s.lon, round(g + h, 2), {"height_agl_m": h, "range_m": rc.adsb.range_m.value}
                )
            )
    lat = np.concatenate(lats) if lats else np.empty(0)
    lon = np.concatenate(lons) if lons else np.empty(0)
    ground = theatre.ground_height_m(lat, lon) if lat.size else np.empty(0)
    return Layout(
        name=cfg.name,
        array=geom,
        array_height_agl_m=cfg.array.height_agl_m,
        acoustic_ids=ids,
        acoustic_lat=lat,
        acoustic_lon=lon,
        acoustic_alt=np.asarray(ground + cfg.array.height_agl_m, dtype=float),
        acoustic_ground=np.asarray(ground, dtype=float),
        radars=radars,
        adsb=adsb,
    )


def load_layout(name_or_file: str | Path | None, theatre: Theatre) -> Layout:
    cfg, _ = load_layout_cfg(name_or_file)
    return build_layout(cfg, theatre)
