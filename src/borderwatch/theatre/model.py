"""Typed value objects of a theatre and the queries every other layer asks of it.

All geometries are shapely objects in lon/lat degrees (WGS84). Metric work happens in the theatre's
projected CRS (``Theatre.crs``; EPSG:3059 LKS-92 for Latvia) or geodesically through :mod:`borderwatch.geo`.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from numpy.typing import ArrayLike, NDArray
from pyproj import CRS, Transformer
from shapely.geometry import MultiLineString, MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry

from borderwatch.errors import NotFoundError
from borderwatch.geo import line_length_m

FloatArray = NDArray[np.float64]


def fold(name: str) -> str:
    """Case- and diacritic-insensitive key for names: ``fold("Rēzekne") == fold("rezekne")``."""
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().strip()


@dataclass(frozen=True, slots=True)
class Country:
    iso2: str
    iso3: str
    name: str
    geometry: BaseGeometry  # (Multi)Polygon


@dataclass(frozen=True, slots=True)
class BorderSegment:
    """One named stretch of the home country's land border with one neighbour."""

    id: str
    neighbour: str  # ISO 3166-1 alpha-2
    neighbour_name: str
    geometry: BaseGeometry  # (Multi)LineString
    watched: bool
    source: str
    published_length_km: tuple[float, float] | None = None
    published_source: str | None = None

    @property
    def length_km(self) -> float:
        """Geodesic length of the shipped geometry, km."""
        return line_length_m(self.geometry) / 1000.0


@dataclass(frozen=True, slots=True)
class Line:
    """A road, railway or river line."""

    geometry: BaseGeometry
    kind: str  # "road" | "rail" | "river"
    cls: str
    name: str | None
    properties: dict[str, Any] = field(default_factory=dict)
    #: "exact" (lines meet at shared vertices, e.g. OpenStreetMap) or "generalised" (e.g. Natural Earth)
    topology: str = "generalised"


@dataclass(frozen=True, slots=True)
class Lake:
    geometry: BaseGeometry
    name: str | None


@dataclass(frozen=True, slots=True)
class Place:
    name: str
    lat: float
    lon: float
    population: int
    country: str  # ISO alpha-2
    in_home: bool


@dataclass(frozen=True, slots=True)
class Crossing:
    """A border crossing point.

    ``lat``/``lon`` are the position used by the system (snapped onto the road/rail ∩ border
    intersection where one lies within the snap radius); ``quality`` keeps the source's flag
    (e.g. ``derived``) and ``snap_offset_m`` how far the source coordinate moved.
    """

    name: str
    segment: str
    kind: str  # "road" | "rail"
    status: str  # "open" | "suspended" | "closed"
    road: str | None
    status_since: str | None
    lat: float | None
    lon: float | None
    quality: str
    source_lat: float | None
    source_lon: float | None
    snapped: bool
    snap_offset_m: float | None
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Asset:
    """A protected asset: a town, a piece of infrastructure or a military site."""

    name: str
    kind: str  # "town" | "infrastructure" | "military"
    lat: float
    lon: float
    value_eur: float
    source: str
    population: int | None = None


@dataclass(frozen=True, slots=True)
class Terrain:
    """A regular lon/lat grid of ground elevation above mean sea level (ESRI ASCII grid)."""

    lon0: float
    lat0: float
    cell_deg: float
    heights_m: FloatArray  # row 0 = southernmost row
    source: str

    def height_msl_m(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """Bilinear ground height above mean sea level; sea and no-data cells are 0 m."""
        la = np.asarray(lat, dtype=np.float64)
        lo = np.asarray(lon, dtype=np.float64)
        ny, nx = self.heights_m.shape
        fx = np.clip((lo - self.lon0) / self.cell_deg - 0.5, 0, nx - 1)
        fy = np.clip((la - self.lat0) / self.cell_deg - 0.5, 0, ny - 1)
        x0 = np.minimum(np.floor(fx).astype(int), nx - 2)
        y0 = np.minimum(np.floor(fy).astype(int), ny - 2)
        tx, ty = fx - x0, fy - y0
        h = self.heights_m
        top = h[y0, x0] * (1 - tx) + h[y0, x0 + 1] * tx
        bot = h[y0 + 1, x0] * (1 - tx) + h[y0 + 1, x0 + 1] * tx
        return np.asarray(top * (1 - ty) + bot * ty, dtype=np.float64)


@dataclass(slots=True)
class Theatre:
    """A piece of ground with its land border, networks, places, crossings and assets."""

    name: str
    title: str
    root: Path
    home: Country
    countries: dict[str, Country]
    segments: list[BorderSegment]
    roads: list[Line]
    railways: list[Line]
    rivers: list[Line]
    lakes: list[Lake]
    places: list[Place]
    crossings: list[Crossing]
    assets: list[Asset]
    terrain: Terrain | None
    bbox: tuple[float, float, float, float]  # lon_min, lat_min, lon_max, lat_max
    crs: CRS
    geoid_undulation_m: float
    attribution: str
    rejected: Counter[str] = field(default_factory=Counter)
    #: map-only railways outside ``railways_extent`` (e.g. Natural Earth around an OpenStreetMap extract)
    railways_fallback: list[Line] = field(default_factory=list)
    #: lon/lat box the railways cover completely (None: the whole theatre)
    railways_extent: tuple[float, float, float, float] | None = None
    #: where each line layer comes from, by kind ("road", "rail"), when theatre.yaml says
    layer_sources: dict[str, str] = field(default_factory=dict)
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    # --- look-ups -----------------------------------------------------------------------------
    def segment(self, seg_id: str) -> BorderSegment:
        for s in self.segments:
            if s.id == seg_id:
                return s
        raise NotFoundError(f"no border segment {seg_id!r} (have: {', '.join(s.id for s in self.segments)})")

    @property
    def watched_segments(self) -> list[BorderSegment]:
        return [s for s in self.segments if s.watched]

    @property
    def watched_border(self) -> BaseGeometry:
        """The border under watch (e.g. LV–RU and LV–BY) as one MultiLineString in lon/lat."""
        if "watched" not in self._cache:
            lines: list[Any] = []
            for s in self.watched_segments:
                g = s.geometry
                lines.extend(g.geoms if isinstance(g, MultiLineString) else [g])
            self._cache["watched"] = shapely.line_merge(MultiLineString(lines))
        return self._cache["watched"]

    def place(self, name: str) -> Place:
        """Find a place by name, ignoring case and diacritics; home-country places win ties."""
        key = fold(name)
        hits = [p for p in self.places if fold(p.name) == key]
        if not hits:
            raise NotFoundError(f"no place named {name!r} in theatre {self.name!r}")
        hits.sort(key=lambda p: (not p.in_home, -p.population))
        return hits[0]

    # --- projections ------------------------------------------------------------------------
    @property
    def _to_xy(self) -> Transformer:
        if "to_xy" not in self._cache:
            self._cache["to_xy"] = Transformer.from_crs(4326, self.crs, always_xy=True)
        return self._cache["to_xy"]  # type: ignore[no-any-return]

    @property
    def _to_ll(self) -> Transformer:
        if "to_ll" not in self._cache:
            self._cache["to_ll"] = Transformer.from_crs(self.crs, 4326, always_xy=True)
        return self._cache["to_ll"]  # type: ignore[no-any-return]

    def project(self, geom: BaseGeometry) -> BaseGeometry:
        """Lon/lat geometry to the theatre's projected CRS (metres)."""
        return _apply(self._to_xy, geom)

    def unproject(self, geom: BaseGeometry) -> BaseGeometry:
        """Projected geometry (metres) back to lon/lat."""
        return _apply(self._to_ll, geom)

    def xy(self, lat: ArrayLike, lon: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Lat/lon degrees to projected x/y metres. Vectorised."""
        x, y = self._to_xy.transform(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float))
        return np.asarray(x, dtype=float), np.asarray(y, dtype=float)

    # --- spatial queries ----------------------------------------------------------------------
    def country_at(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.str_]:
        """ISO alpha-2 code of the country containing each point ('' outside every polygon)."""
        la = np.atleast_1d(np.asarray(lat, dtype=float))
        lo = np.atleast_1d(np.asarray(lon, dtype=float))
        pts = shapely.points(lo, la)
        out = np.full(la.shape, "", dtype="<U2")
        for c in self.countries.values():
            shapely.prepare(c.geometry)
            out[shapely.contains(c.geometry, pts)] = c.iso2
        return out

    def in_home(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
        """True where a point lies inside the home country. Vectorised."""
        la = np.atleast_1d(np.asarray(lat, dtype=float))
        lo = np.atleast_1d(np.asarray(lon, dtype=float))
        shapely.prepare(self.home.geometry)
        return np.asarray(shapely.contains(self.home.geometry, shapely.points(lo, la)))

    def in_bbox(self, lat: ArrayLike, lon: ArrayLike) -> NDArray[np.bool_]:
        la = np.asarray(lat, dtype=float)
        lo = np.asarray(lon, dtype=float)
        x0, y0, x1, y1 = self.bbox
        return np.asarray((lo >= x0) & (lo <= x1) & (la >= y0) & (la <= y1))

    def distance_to_border_m(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """Distance (m, projected CRS) from each point to the watched border. Vectorised."""
        if "border_xy" not in self._cache:
            self._cache["border_xy"] = self.project(self.watched_border)
        x, y = self.xy(np.atleast_1d(np.asarray(lat, dtype=float)), np.atleast_1d(np.asarray(lon, dtype=float)))
        return np.asarray(shapely.distance(self._cache["border_xy"], shapely.points(x, y)), dtype=float)

    def ground_height_m(self, lat: ArrayLike, lon: ArrayLike) -> FloatArray:
        """Ground height above the WGS84 ellipsoid (terrain MSL height + geoid undulation)."""
        la = np.asarray(lat, dtype=float)
        if self.terrain is None:
            return np.full(la.shape, self.geoid_undulation_m)
        return np.asarray(self.terrain.height_msl_m(la, lon) + self.geoid_undulation_m, dtype=float)

    def network_km_near_border(self, lines: list[Line], *, within_km: float = 50.0) -> float:
        """Kilometres of the given lines inside the home country within ``within_km`` of the watched border."""
        key = f"zone{within_km}"
        if key not in self._cache:
            border = self.project(self.watched_border)
            home = self.project(self.home.geometry)
            self._cache[key] = shapely.intersection(home, border.buffer(within_km * 1000.0))
        zone = self._cache[key]
        total = 0.0
        for ln in lines:
            clipped = shapely.intersection(self.project(ln.geometry), zone)
            if not clipped.is_empty:
                total += line_length_m(self.unproject(clipped))
        return total / 1000.0


def _apply(tr: Transformer, geom: BaseGeometry) -> BaseGeometry:
    def fn(x: FloatArray, y: FloatArray) -> tuple[FloatArray, FloatArray]:
        xx, yy = tr.transform(x, y)
        return np.asarray(xx), np.asarray(yy)

    return shapely.transform(geom, fn, interleaved=False)


def as_polygonal(geom: BaseGeometry) -> BaseGeometry:
    """Keep only the polygonal part of a geometry (make_valid may return collections)."""
    if isinstance(geom, (Polygon, MultiPolygon)):
        return geom
    polys = [g for g in getattr(geom, "geoms", []) if isinstance(g, (Polygon, MultiPolygon))]
    return shapely.union_all(polys) if polys else geom
