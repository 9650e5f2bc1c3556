"""GeoJSON reading with per-feature validation.

A bad feature (no geometry, wrong geometry type, non-finite or out-of-range coordinates, invalid
shape) is rejected with a reason naming the field, counted, and skipped; the good features are kept.

>>> import json, tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "x.geojson"
>>> _ = p.write_text(json.dumps({"type": "FeatureCollection", "features": [
...     {"type": "Feature", "properties": {"name": "a"},
...      "geometry": {"type": "Point", "coordinates": [27.0, 56.0]}},
...     {"type": "Feature", "properties": {}, "geometry": None}]}))
>>> layer = read_features(p, allowed=("Point",))
>>> len(layer.features), dict(layer.rejected)
(1, {'features[1].geometry: missing': 1})
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from borderwatch.config import read_json
from borderwatch.errors import InputError


@dataclass(frozen=True, slots=True)
class GeoFeature:
    """One accepted feature: a shapely geometry in lon/lat degrees and its properties."""

    geometry: BaseGeometry
    properties: dict[str, Any]


@dataclass(slots=True)
class Layer:
    """Features read from one file, with the count of rejected features per reason."""

    source: str
    features: list[GeoFeature]
    metadata: dict[str, Any] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)


def _coords_ok(coords: Any) -> bool:
    if isinstance(coords, (int, float)):
        return math.isfinite(coords)
    if isinstance(coords, Sequence) and not isinstance(coords, str):
        if len(coords) >= 2 and all(isinstance(c, (int, float)) for c in coords):
            lon, lat = float(coords[0]), float(coords[1])
            return math.isfinite(lon) and math.isfinite(lat) and -180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0
        return all(_coords_ok(c) for c in coords)
    return False


def parse_features(data: Any, *, source: str, allowed: Iterable[str] | None = None, strict_top: bool = True) -> Layer:
    """Validate a decoded GeoJSON FeatureCollection; see :func:`read_features`."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError("expected a GeoJSON FeatureCollection", source=source, field="type")
    feats = data.get("features")
    if not isinstance(feats, list):
        raise InputError("must be a list", source=source, field="features")
    allowed_set = set(allowed) if allowed is not None else None
    layer = Layer(source=source, features=[], metadata=dict(data.get("metadata") or {}))
    for i, f in enumerate(feats):
        where = f"features[{i}]"
        if not isinstance(f, dict):
            layer.rejected[f"{where}: not an object"] += 1
            continue
        g = f.get("geometry")
        if not g:
            layer.rejected[f"{where}.geometry: missing"] += 1
            continue
        gtype = g.get("type") if isinstance(g, dict) else None
        if allowed_set is not None and gtype not in allowed_set:
            layer.rejected[f"{where}.geometry.type: {gtype!r} not one of {sorted(allowed_set)}"] += 1
            continue
        if not _coords_ok(g.get("coordinates")):
            layer.rejected[f"{where}.geometry.coordinates: non-finite or out of range"] += 1
            continue
        try:
            geom = shape(g)
        except Exception as exc:  # shapely raises several types for malformed input
            layer.rejected[f"{where}.geometry: {type(exc).__name__}: {exc}"] += 1
            continue
        if geom.is_empty:
            layer.rejected[f"{where}.geometry: empty"] += 1
            continue
        if not shapely.is_valid(geom):
            geom = shapely.make_valid(geom)
        props = f.get("properties") or {}
        if not isinstance(props, dict):
            layer.rejected[f"{where}.properties: not an object"] += 1
            continue
        layer.features.append(GeoFeature(geometry=geom, properties=props))
    return layer


def read_features(path: Path | str, *, allowed: Iterable[str] | None = None) -> Layer:
    """Read a GeoJSON FeatureCollection file, keeping good features and counting bad ones.

    Parameters
    ----------
    path : path of the ``.geojson`` file.
    allowed : geometry types to accept (others are rejected and counted); ``None`` accepts all.

    Raises
    ------
    InputError
        If the file is missing, is not JSON, or is not a FeatureCollection at all.
    """
    return parse_features(read_json(path), source=str(path), allowed=allowed)


def write_features(path: Path | str, features: Iterable[tuple[BaseGeometry, dict[str, Any]]]) -> None:
    """Write ``(geometry, properties)`` pairs as a GeoJSON FeatureCollection (lon/lat, RFC 7946)."""
    out = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)}
            for geom, props in features
        ],
    }
    Path(path).write_text(json.dumps(out, ensure_ascii=False), encoding="utf-8")
