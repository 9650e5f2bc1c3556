"""Load a theatre from a folder: ``theatre.yaml`` plus the GeoJSON/YAML/grid files it names.

Any border in the world loads the same way: write a ``theatre.yaml`` beside your files
(see docs/formats.md) and pass the folder wherever a theatre name is accepted.

>>> th = load_theatre("latvia-east")
>>> [s.id for s in th.watched_segments]
['LV-RU', 'LV-BY']
"""

from __future__ import annotations

from collections import Counter
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.ops
from pyproj import CRS
from shapely.geometry import LineString, MultiLineString, Point

from borderwatch.config import load_model
from borderwatch.errors import InputError, NotFoundError
from borderwatch.geo import distance_m
from borderwatch.interop.geojson import Layer, read_features
from borderwatch.theatre.model import (
    Asset,
    BorderSegment,
    Country,
    Crossing,
    Lake,
    Line,
    Place,
    Terrain,
    Theatre,
    as_polygonal,
)
from borderwatch.theatre.schema import (
    AssetsFile,
    CrossingFacts,
    CrossingsSpec,
    LineLayerSpec,
    TheatreSpec,
)

DEFAULT_THEATRE = "latvia-east"
_LINES = ("LineString", "MultiLineString")
_CACHE: dict[str, Theatre] = {}
#: a road/railway ending within this distance of the border is taken to cross it there
_TOUCH_GAP_M = 500.0


def _shipped_root() -> Path:
    return Path(str(resources.files("borderwatch.theatre") / "data"))


def available_theatres() -> list[str]:
    """Names of the theatres shipped inside the package."""
    root = _shipped_root()
    return sorted(p.name for p in root.iterdir() if (p / "theatre.yaml").is_file())


def resolve_theatre_dir(name_or_path: str | Path) -> Path:
    """A shipped theatre name or a folder holding ``theatre.yaml``."""
    p = Path(name_or_path)
    if (p / "theatre.yaml").is_file():
        return p
    shipped = _shipped_root() / str(name_or_path)
    if (shipped / "theatre.yaml").is_file():
        return shipped
    raise NotFoundError(
        f"no theatre {str(name_or_path)!r}: give a shipped name ({', '.join(available_theatres())}) "
        "or a folder with a theatre.yaml"
    )


def load_theatre(name_or_path: str | Path = DEFAULT_THEATRE) -> Theatre:
    """Load (and cache) a theatre by shipped name or folder path."""
    root = resolve_theatre_dir(name_or_path).resolve()
    key = str(root)
    if key not in _CACHE:
        _CACHE[key] = _load(root)
    return _CACHE[key]


def _merge(layer: Layer, rejected: Counter[str]) -> None:
    for reason, n in layer.rejected.items():
        rejected[f"{Path(layer.source).name}: {reason}"] += n


def _load_lines(root: Path, spec: LineLayerSpec | None, kind: str, rejected: Counter[str]) -> list[Line]:
    if spec is None:
        return []
    layer = read_features(root / spec.file, allowed=_LINES)
    _merge(layer, rejected)
    out = []
    for f in layer.features:
        props = f.properties
        if any(str(props.get(k)) in vals for k, vals in spec.exclude.items()):
            continue
        cls = str(props.get(spec.class_property, "")) if spec.class_property else kind
        name = props.get(spec.name_property) if spec.name_property else None
        out.append(Line(f.geometry, kind, cls or kind, str(name) if name else None, dict(props), spec.topology))
    return out


def _outside(lines: list[Line], extent: tuple[float, float, float, float] | None) -> list[Line]:
    """The parts of lines that lie outside a lon/lat box (all of them when there is no box)."""
    if extent is None:
        return lines
    box = shapely.box(*extent)
    out = []
    for ln in lines:
        rest = shapely.difference(ln.geometry, box)
        if not rest.is_empty:
            out.append(Line(rest, ln.kind, ln.cls, ln.name, ln.properties, ln.topology))
    return out


def _load_terrain(path: Path, source: str) -> Terrain:
    header: dict[str, float] = {}
    with path.open(encoding="ascii") as fh:
        for _ in range(6):
            k, v = fh.readline().split()
            header[k.lower()] = float(v)
        grid = np.loadtxt(fh, dtype=np.float64)
    ny, nx = int(header["nrows"]), int(header["ncols"])
    if grid.shape != (ny, nx):
        raise InputError(f"grid is {grid.shape}, header says {(ny, nx)}", source=str(path), field="nrows")
    nodata = header.get("nodata_value", -9999.0)
    grid = np.where(grid == nodata, 0.0, np.maximum(grid, 0.0))[::-1].copy()  # row 0 = south
    cell = header["cellsize"]
    return Terrain(header["xllcorner"], header["yllcorner"], cell, grid, source)


def _snap(
    lat: float,
    lon: float,
    kind: str,
    seg: BorderSegment,
    roads: list[Line],
    rails: list[Line],
    radius_m: float,
) -> tuple[float, float, float] | None:
    """Nearest intersection of a road/railway of the crossing's kind with its border segment."""
    lines = roads if kind == "road" else rails
    candidates: list[Point] = []
    for ln in lines:
        inter = shapely.intersection(ln.geometry, seg.geometry)
        if inter.is_empty:
            # generalised lines often stop just short of the border line: take the border point
            # nearest to the line when the gap is small
            on_line, on_border = shapely.ops.nearest_points(ln.geometry, seg.geometry)
            gap = float(distance_m(on_line.y, on_line.x, on_border.y, on_border.x))
            if gap <= _TOUCH_GAP_M:
                candidates.append(on_border)
            continue
        candidates.extend(g for g in shapely.get_parts(inter) if isinstance(g, Point))
        # a line running along the border intersects as segments: use their midpoints
        candidates.extend(
            g.interpolate(0.5, normalized=True)
            for g in shapely.get_parts(inter)
            if isinstance(g, (LineString, MultiLineString))
        )
    if not candidates:
        return None
    la = np.array([p.y for p in candidates])
    lo = np.array([p.x for p in candidates])
    d = distance_m(lat, lon, la, lo)
    i = int(np.argmin(d))
    if d[i] > radius_m:
        return None
    return float(la[i]), float(lo[i]), float(d[i])


def _load_crossings(
    root: Path, spec: CrossingsSpec, segments: list[BorderSegment], roads: list[Line], rails: list[Line]
) -> list[Crossing]:
    facts = load_model(CrossingFacts, root / spec.file)
    by_id = {s.id: s for s in segments}
    out = []
    for i, c in enumerate(facts.crossings):
        seg_id = spec.border_map.get(c.border, c.border)
        if seg_id not in by_id:
            raise InputError(
                f"border {c.border!r} names no segment (have {sorted(by_id)})",
                source=str(root / spec.file),
                field=f"crossings[{i}].border",
            )
        seg = by_id[seg_id]
        lat = lon = src_lat = src_lon = off = None
        snapped = False
        quality = "unknown"
        if c.coordinate is not None:
            src_lat, src_lon, quality = c.coordinate.lat, c.coordinate.lon, c.coordinate.quality
            lat, lon = src_lat, src_lon
            hit = _snap(src_lat, src_lon, c.kind, seg, roads, rails, spec.snap_radius_m)
            if hit is not None:
                lat, lon, off = hit
                snapped = True
        since = str(c.status_since) if c.status_since is not None else None
        out.append(
            Crossing(
                name=c.name,
                segment=seg_id,
                kind=c.kind,
                status=c.status,
                road=c.road,
                status_since=since,
                lat=lat,
                lon=lon,
                quality=quality,
                source_lat=src_lat,
                source_lon=src_lon,
                snapped=snapped,
                snap_offset_m=off,
                sources=tuple(c.sources),
            )
        )
    return out


def _load(root: Path) -> Theatre:
    spec = load_model(TheatreSpec, root / "theatre.yaml")
    rejected: Counter[str] = Counter()

    layer = read_features(root / spec.countries.file, allowed=("Polygon", "MultiPolygon"))
    _merge(layer, rejected)
    countries: dict[str, Country] = {}
    for f in layer.features:
        iso3 = str(f.properties.get(spec.countries.iso3_property, ""))
        code = spec.countries.codes.get(iso3)
        if code is None:
            rejected[f"{spec.countries.file}: {spec.countries.iso3_property}={iso3!r} not in codes"] += 1
            continue
        countries[code.iso2] = Country(code.iso2, iso3, code.name, as_polygonal(f.geometry))
    if spec.home not in countries:
        raise InputError(
            f"home country {spec.home!r} has no polygon in {spec.countries.file}",
            source=str(root / "theatre.yaml"),
            field="home",
        )

    layer = read_features(root / spec.borders.file, allowed=_LINES)
    _merge(layer, rejected)
    segments = []
    for j, s in enumerate(spec.borders.segments):
        geoms = [f.geometry for f in layer.features if f.properties.get(spec.borders.match_property) == s.match]
        if not geoms:
            raise InputError(
                f"no feature with {spec.borders.match_property}={s.match!r} in {spec.borders.file}",
                source=str(root / "theatre.yaml"),
                field=f"borders.segments[{j}].match",
            )
        geom = shapely.line_merge(shapely.union_all(geoms))
        nb = countries.get(s.neighbour)
        segments.append(
            BorderSegment(
                id=s.id,
                neighbour=s.neighbour,
                neighbour_name=nb.name if nb else s.neighbour,
                geometry=geom,
                watched=s.watched,
                source=str(layer.metadata.get("source", spec.borders.file)),
                published_length_km=s.published_length_km,
                published_source=s.published_source,
            )
        )

    roads = _load_lines(root, spec.roads, "road", rejected)
    rails = _load_lines(root, spec.railways, "rail", rejected)
    rail_extent = spec.railways.extent if spec.railways else None
    fallback = _outside(_load_lines(root, spec.railways_fallback, "rail", rejected), rail_extent)
    layer_sources = {
        kind: ls.source for kind, ls in (("road", spec.roads), ("rail", spec.railways)) if ls and ls.source
    }
    rivers = _load_lines(root, spec.rivers, "river", rejected)

    lakes: list[Lake] = []
    if spec.lakes is not None:
        layer = read_features(root / spec.lakes.file, allowed=("Polygon", "MultiPolygon"))
        _merge(layer, rejected)
        np_ = spec.lakes.name_property
        lakes = [Lake(f.geometry, f.properties.get(np_) if np_ else None) for f in layer.features]

    places: list[Place] = []
    if spec.places is not None:
        ps = spec.places
        layer = read_features(root / ps.file, allowed=("Point",))
        _merge(layer, rejected)
        home_geom = countries[spec.home].geometry
        shapely.prepare(home_geom)
        for k, f in enumerate(layer.features):
            name = f.properties.get(ps.name_property)
            pop = f.properties.get(ps.population_property, 0)
            if not name or not isinstance(pop, (int, float)) or pop < 0:
                rejected[f"{ps.file}: features[{k}]: missing name or bad population"] += 1
                continue
            pt = f.geometry
            places.append(
                Place(
                    name=str(name),
                    lat=float(pt.y),
                    lon=float(pt.x),
                    population=int(pop),
                    country=str(f.properties.get(ps.country_property, "")),
                    in_home=bool(home_geom.contains(pt)),
                )
            )

    crossings = _load_crossings(root, spec.crossings, segments, roads, rails) if spec.crossings else []
    terrain = _load_terrain(root / spec.terrain.file, spec.terrain.source) if spec.terrain else None

    assets: list[Asset] = []
    per_head = 0.0
    if spec.assets.file is not None:
        af = load_model(AssetsFile, root / spec.assets.file)
        per_head = af.town_value_eur_per_inhabitant.value
        assets = [Asset(a.name, a.kind, a.lat, a.lon, a.value_eur, a.source) for a in af.assets]
    towns = [
        Asset(
            name=p.name,
            kind="town",
            lat=p.lat,
            lon=p.lon,
            value_eur=p.population * per_head,
            source="places layer; value = population × town_value_eur_per_inhabitant (assumption)",
            population=p.population,
        )
        for p in places
        if p.in_home and p.population >= spec.assets.towns_min_population
    ]
    attribution_file = root / "ATTRIBUTION.md"
    attribution = attribution_file.read_text(encoding="utf-8") if attribution_file.is_file() else ""
    crs = CRS.from_user_input(spec.crs) if spec.crs else _utm_for(spec.bbox)
    return Theatre(
        name=spec.name,
        title=spec.title,
        root=root,
        home=countries[spec.home],
        countries=countries,
        segments=segments,
        roads=roads,
        railways=rails,
        rivers=rivers,
        lakes=lakes,
        places=places,
        crossings=crossings,
        assets=towns + assets,
        terrain=terrain,
        bbox=spec.bbox,
        crs=crs,
        geoid_undulation_m=spec.geoid_undulation_m.value,
        attribution=attribution,
        rejected=rejected,
        railways_fallback=fallback,
        railways_extent=rail_extent,
        layer_sources=layer_sources,
    )


def _utm_for(bbox: tuple[float, float, float, float]) -> CRS:
    from pyproj.aoi import AreaOfInterest
    from pyproj.database import query_utm_crs_info

    infos: Any = query_utm_crs_info(
        datum_name="WGS 84",
        area_of_interest=AreaOfInterest(
            west_lon_degree=bbox[0],
            south_lat_degree=bbox[1],
            east_lon_degree=bbox[2],
            north_lat_degree=bbox[3],
        ),
    )
    return CRS.from_epsg(infos[0].code)
