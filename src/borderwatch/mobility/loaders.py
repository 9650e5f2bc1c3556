"""User networks: OpenStreetMap PBF (pyosmium) and GeoJSON line files → road and rail :class:`Line` lists.

OSM ``highway`` values map onto the catalogue's road classes (motorway/trunk → Major Highway,
primary/secondary → Secondary Highway, tertiary/unclassified/residential → Road); ``railway=rail`` ways become
rail lines. Tags ``lanes``, ``maxspeed`` (km/h), ``bridge``, ``name``/``ref`` and ``tracks`` are kept.

GeoJSON features are LineStrings/MultiLineStrings with properties ``kind`` (``road`` default, or ``rail``),
``class`` (a road class or an OSM highway value) and optional ``lanes``, ``tracks``, ``maxspeed_kmh``, ``name``.
Bad features are counted and skipped (see :func:`borderwatch.interop.geojson.read_features`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from shapely.geometry import LineString

from borderwatch.errors import InputError
from borderwatch.interop.geojson import read_features
from borderwatch.theatre.model import Line

OSM_CLASS = {
    "motorway": "Major Highway",
    "trunk": "Major Highway",
    "primary": "Secondary Highway",
    "secondary": "Secondary Highway",
    "tertiary": "Road",
    "unclassified": "Road",
    "residential": "Road",
}


def _num(v: Any) -> float | None:
    try:
        return float(str(v).split(";")[0].split()[0])
    except (TypeError, ValueError, IndexError):
        return None


def _props(tags: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if (lanes := _num(tags.get("lanes"))) is not None:
        out["lanes"] = int(lanes)
    if (tracks := _num(tags.get("tracks"))) is not None:
        out["tracks"] = int(tracks)
    ms = tags.get("maxspeed_kmh", tags.get("maxspeed"))
    if (speed := _num(ms)) is not None:
        out["maxspeed_kmh"] = speed
    out["bridge"] = str(tags.get("bridge", "no")) not in ("no", "False", "false", "0")
    return out


def load_geojson_network(path: Path | str) -> tuple[list[Line], list[Line], Counter[str]]:
    """Roads, railways and rejected-feature counts from a GeoJSON line file."""
    layer = read_features(path, allowed=("LineString", "MultiLineString"))
    roads: list[Line] = []
    rails: list[Line] = []
    rejected = Counter(layer.rejected)
    for i, f in enumerate(layer.features):
        p = f.properties
        kind = str(p.get("kind", "road"))
        name = p.get("name") or p.get("ref")
        if kind == "rail":
            rails.append(Line(f.geometry, "rail", "rail", name, _props(p)))
        elif kind == "road":
            cls = str(p.get("class", "Unknown"))
            roads.append(Line(f.geometry, "road", OSM_CLASS.get(cls, cls), name, _props(p)))
        else:
            rejected[f"features[{i}].properties.kind: must be 'road' or 'rail'"] += 1
    if not roads and not rails:
        raise InputError("no usable road or rail lines", source=str(path))
    return roads, rails, rejected


def load_osm_network(path: Path | str) -> tuple[list[Line], list[Line], Counter[str]]:
    """Roads and railways from an OSM PBF (or .osm XML) file, via pyosmium."""
    import osmium

    p = Path(path)
    if not p.is_file():
        raise InputError("file not found", source=str(p))
    roads: list[Line] = []
    rails: list[Line] = []
    rejected: Counter[str] = Counter()
    try:
        fp = osmium.FileProcessor(str(p)).with_locations().with_filter(osmium.filter.KeyFilter("highway", "railway"))
        for obj in fp:
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            hw, rw = tags.get("highway"), tags.get("railway")
            if hw not in OSM_CLASS and rw != "rail":
                continue
            try:
                coords = [(n.lon, n.lat) for n in obj.nodes]
            except osmium.InvalidLocationError:
                rejected["way with missing node locations"] += 1
                continue
            if len(coords) < 2:
                rejected["way with fewer than 2 nodes"] += 1
                continue
            name = tags.get("ref") or tags.get("name")
            if rw == "rail":  # OSM ways meet at shared nodes: exact topology
                rails.append(Line(LineString(coords), "rail", "rail", name, _props(tags), "exact"))
            else:
                roads.append(Line(LineString(coords), "road", OSM_CLASS[str(hw)], name, _props(tags), "exact"))
    except RuntimeError as exc:
        raise InputError(f"not a readable OSM file: {exc}", source=str(p)) from None
    if not roads and not rails:
        raise InputError("no highway or railway ways found", source=str(p))
    return roads, rails, rejected


def load_user_network(path: Path | str) -> tuple[list[Line], list[Line], Counter[str]]:
    """Dispatch on the suffix: ``.pbf``/``.osm`` → OSM, else GeoJSON."""
    name = str(path).lower()
    if name.endswith((".pbf", ".osm", ".osm.bz2")):
        return load_osm_network(path)
    return load_geojson_network(path)
