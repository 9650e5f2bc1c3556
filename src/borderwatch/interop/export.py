"""Export the picture and the plans as GIS layers: GeoPackage (through pyogrio/GDAL), GeoJSON and KML.

:func:`collect` reads whatever borderwatch outputs it finds in the given files or folders and returns named
layers (lon/lat WGS 84, EPSG:4326):

=================  ============  ==========================================================================
layer              geometry      from
=================  ============  ==========================================================================
``track_paths``    LineString    tracks.jsonl: each track's emitted positions in time order (2 or more)
``track_heads``    Point         tracks.jsonl: each track's last position, class, identity (assessments)
``alerts``         Point         alerts.jsonl
``chokepoints``    Point         chokepoints.geojson (``mobility chokepoints``/``corridors``)
``plan_sites``     Point         plan.json ``chokepoints`` (closure times, trucks)
``plan_routes``    LineString    plan.json trucks' ``route.coordinates``
``corridors``      LineString    corridors.geojson
``border_events``  Point         a border-event register's events.jsonl (latest version of each event)
=================  ============  ==========================================================================

Nested values (lists, objects) become JSON text; a column mixing numbers and text becomes text. :func:`write`
picks the format from the file suffix (``.gpkg``, ``.geojson``/``.json``, ``.kml``): a GeoPackage holds one
table per layer, a GeoJSON file one FeatureCollection with a ``layer`` property, a KML file one Folder per
layer. Lines of an input file that are not JSON are skipped and counted (``Layers.rejected``).
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

GEOMETRY = {
    "track_paths": "LineString",
    "track_heads": "Point",
    "alerts": "Point",
    "chokepoints": "Point",
    "plan_sites": "Point",
    "plan_routes": "LineString",
    "corridors": "LineString",
    "border_events": "Point",
}


@dataclass(slots=True)
class Feature:
    coords: Sequence[tuple[float, ...]]  # one coordinate for a Point, several for a LineString (lon, lat[, alt])
    props: dict[str, Any]


@dataclass(slots=True)
class Layers:
    layers: dict[str, list[Feature]] = field(default_factory=dict)
    rejected: Counter[str] = field(default_factory=Counter)
    sources: list[str] = field(default_factory=list)

    def add(self, name: str, f: Feature) -> None:
        self.layers.setdefault(name, []).append(f)


def _jsonl(path: Path, out: Layers) -> list[dict[str, Any]]:
    rows = []
    with path.open(encoding="utf-8", errors="replace") as fh:
        for i, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except ValueError:
                out.rejected[f"{path.name}: line {i}: not JSON"] += 1
                continue
            if isinstance(d, dict):
                rows.append(d)
            else:
                out.rejected[f"{path.name}: line {i}: not an object"] += 1
    return rows


def _ok(lon: Any, lat: Any) -> bool:
    return (
        isinstance(lon, int | float)
        and isinstance(lat, int | float)
        and math.isfinite(lon)
        and math.isfinite(lat)
        and -180 <= lon <= 180
        and -90 <= lat <= 90
    )


def _tracks(path: Path, out: Layers, assessments: dict[str, dict[str, Any]]) -> None:
    by: dict[str, list[dict[str, Any]]] = {}
    for d in _jsonl(path, out):
        if not _ok(d.get("lon"), d.get("lat")) or "track" not in d:
            out.rejected[f"{path.name}: track line without a position"] += 1
            continue
        by.setdefault(str(d["track"]), []).append(d)
    for tid, rows in by.items():
        rows.sort(key=lambda r: float(r.get("t", 0)))
        last = rows[-1]
        probs = last.get("class") or {}
        main = max(probs, key=lambda k: probs[k]) if probs else None
        a = assessments.get(tid, {})
        props = {
            "track": tid,
            "t_first": rows[0].get("t"),
            "t_last": last.get("t"),
            "points": len(rows),
            "class": a.get("class", main),
            "class_probs": probs,
            "identity": a.get("identity"),
            "score": a.get("score"),
            "status": last.get("status"),
            "cooperative": bool(last.get("cooperative", False)),
            "icao": last.get("icao"),
            "alt_m": last.get("alt_m"),
            "sensors": last.get("sensors"),
        }
        if a.get("crossing"):
            props["crossing"] = a["crossing"]
        out.add(
            "track_heads", Feature([(float(last["lon"]), float(last["lat"]), float(last.get("alt_m") or 0))], props)
        )
        line = [(float(r["lon"]), float(r["lat"]), float(r.get("alt_m") or 0)) for r in rows]
        if len({c[:2] for c in line}) >= 2:
            out.add("track_paths", Feature(line, {k: props[k] for k in ("track", "t_first", "t_last", "points",
                                                                         "class", "identity")}))  # fmt: skip


def _assessments(path: Path, out: Layers) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for d in _jsonl(path, out):
        tid = str(d.get("track"))
        if tid not in latest or float(d.get("t", 0)) >= float(latest[tid].get("t", 0)):
            latest[tid] = d
    return latest


def _points_jsonl(path: Path, out: Layers, layer: str) -> None:
    for d in _jsonl(path, out):
        if not _ok(d.get("lon"), d.get("lat")):
            out.rejected[f"{path.name}: line without lat/lon"] += 1
            continue
        out.add(
            layer,
            Feature([(float(d["lon"]), float(d["lat"]))], {k: v for k, v in d.items() if k not in ("lat", "lon")}),
        )


def _geojson(path: Path, out: Layers, layer: str) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for i, f in enumerate(doc.get("features") or []):
        g = (f or {}).get("geometry") or {}
        c: Any = g.get("coordinates")
        props = dict((f or {}).get("properties") or {})
        try:
            if g.get("type") == "Point" and _ok(c[0], c[1]):
                out.add(layer, Feature([tuple(float(x) for x in c[:3])], props))
            elif g.get("type") == "LineString" and len(c) >= 2 and all(_ok(p[0], p[1]) for p in c):
                out.add(layer, Feature([tuple(float(x) for x in p[:3]) for p in c], props))
            else:
                out.rejected[f"{path.name}: features[{i}].geometry: not a valid {GEOMETRY[layer]}"] += 1
        except (TypeError, IndexError, ValueError):
            out.rejected[f"{path.name}: features[{i}].geometry: not a valid {GEOMETRY[layer]}"] += 1


def _plan(path: Path, out: Layers) -> None:
    doc = json.loads(path.read_text(encoding="utf-8"))
    for c in doc.get("chokepoints") or []:
        if _ok(c.get("lon"), c.get("lat")):
            props = {k: v for k, v in c.items() if k not in ("lat", "lon")}
            out.add("plan_sites", Feature([(float(c["lon"]), float(c["lat"]))], props))
    for t in doc.get("trucks") or []:
        coords = ((t.get("route") or {}).get("coordinates")) or []
        pts = [
            (float(p[0]), float(p[1]))
            for p in coords
            if isinstance(p, list | tuple) and len(p) >= 2 and _ok(p[0], p[1])
        ]
        if len(pts) >= 2:
            route = dict(t.get("route") or {})
            route.pop("coordinates", None)
            props = {k: v for k, v in t.items() if k not in ("route", "trips")}
            props.update({f"route_{k}": v for k, v in route.items() if k != "edges"})
            out.add("plan_routes", Feature(pts, props))


def _register(path: Path, out: Layers) -> None:
    latest: dict[str, dict[str, Any]] = {}
    for d in _jsonl(path, out):
        eid = str(d.get("event_id"))
        if eid not in latest or int(d.get("version", 0)) >= int(latest[eid].get("version", 0)):
            latest[eid] = d
    for eid, d in latest.items():
        data = d.get("data") or {}
        if not _ok(data.get("lon"), data.get("lat")):
            out.rejected[f"{path.name}: event without lat/lon (section only)"] += 1
            continue
        props = {"event_id": eid, "version": d.get("version"), "action": d.get("action"), "owner": d.get("owner"),
                 **{k: v for k, v in data.items() if k not in ("lat", "lon")}}  # fmt: skip
        out.add("border_events", Feature([(float(data["lon"]), float(data["lat"]))], props))


def collect(paths: list[Path]) -> Layers:
    """Layers from run folders, mobility outputs and register folders (or those files themselves)."""
    from borderwatch.errors import InputError

    out = Layers()
    files: list[Path] = []
    for p in paths:
        if p.is_dir():
            files += sorted(x for x in p.iterdir() if x.is_file())
        elif p.is_file():
            files.append(p)
        else:
            raise InputError("no such file or folder", source=str(p))
    names = {f.name: f for f in files}
    ass = _assessments(names["assessments.jsonl"], out) if "assessments.jsonl" in names else {}
    for f in files:
        n = f.name
        try:
            if n == "tracks.jsonl":
                _tracks(f, out, ass)
            elif n == "alerts.jsonl":
                _points_jsonl(f, out, "alerts")
            elif n == "chokepoints.geojson":
                _geojson(f, out, "chokepoints")
            elif n == "corridors.geojson":
                _geojson(f, out, "corridors")
            elif n == "plan.json":
                _plan(f, out)
            elif n == "events.jsonl":
                _register(f, out)
            else:
                continue
        except (ValueError, OSError) as e:
            raise InputError(f"cannot read: {e}", source=str(f)) from None
        out.sources.append(str(f))
    if not out.sources:
        raise InputError(
            "nothing to export: expected tracks.jsonl, alerts.jsonl, chokepoints.geojson, corridors.geojson, "
            "plan.json or a register's events.jsonl",
            source=", ".join(str(p) for p in paths),
        )
    return out


# ------------------------------------------------------------------------------------------------ columns
def _plain(v: Any) -> Any:
    if isinstance(v, dict | list | tuple):
        return json.dumps(v, ensure_ascii=False, sort_keys=True)
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def columns(features: list[Feature]) -> dict[str, tuple[str, list[Any]]]:
    """Column name → (kind ``int``/``float``/``bool``/``str``, values with None for missing), in first-seen order."""
    names: list[str] = []
    seen: set[str] = set()
    for f in features:
        for k in f.props:
            if k not in seen:
                seen.add(k)
                names.append(k)
    out: dict[str, tuple[str, list[Any]]] = {}
    for k in names:
        vals = [_plain(f.props.get(k)) for f in features]
        present = [v for v in vals if v is not None]
        if present and all(isinstance(v, bool) for v in present):
            kind = "bool"
        elif present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
            kind = "int"
        elif present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
            kind = "float"
        else:
            kind = "str"
            vals = [None if v is None else (str(v).lower() if isinstance(v, bool) else str(v)) for v in vals]
        out[k] = (kind, list(vals))
    return out


# ------------------------------------------------------------------------------------------------ writers
def _geometry(layer: str, f: Feature) -> dict[str, Any]:
    if GEOMETRY[layer] == "Point":
        return {"type": "Point", "coordinates": list(f.coords[0])}
    return {"type": "LineString", "coordinates": [list(c) for c in f.coords]}


def write_geojson(layers: Layers, path: Path) -> int:
    feats = []
    for name, fs in layers.layers.items():
        for f in fs:
            props = {"layer": name, **{k: _plain(v) for k, v in f.props.items()}}
            feats.append({"type": "Feature", "geometry": _geometry(name, f), "properties": props})
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False) + "\n",
                    encoding="utf-8")  # fmt: skip
    return len(feats)


_KML_STYLE = {"hostile": "ff0000ff", "suspect": "ff00a5ff", "friend": "ffff0000", "neutral": "ff00ff00"}


def _kml_coords(f: Feature) -> str:
    return " ".join(",".join(f"{x:.7f}" if i < 2 else f"{x:.1f}" for i, x in enumerate(c)) for c in f.coords)


def write_kml(layers: Layers, path: Path) -> int:
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2"><Document>',
             "<name>borderwatch</name>"]  # fmt: skip
    for style, colour in _KML_STYLE.items():
        parts.append(
            f'<Style id="{style}"><IconStyle><color>{colour}</color></IconStyle>'
            f"<LineStyle><color>{colour}</color><width>2</width></LineStyle></Style>"
        )
    n = 0
    for name, fs in layers.layers.items():
        parts.append(f"<Folder><name>{escape(name)}</name>")
        for f in fs:
            label = next(
                (str(f.props[k]) for k in ("track", "id", "event_id", "truck", "entry") if f.props.get(k)), name
            )
            parts.append(f"<Placemark><name>{escape(label)}</name>")
            ident = f.props.get("identity")
            if ident in _KML_STYLE:
                parts.append(f"<styleUrl>#{ident}</styleUrl>")
            parts.append("<ExtendedData>")
            for k, v in f.props.items():
                pv = _plain(v)
                if pv is not None:
                    parts.append(f'<Data name="{escape(k)}"><value>{escape(str(pv))}</value></Data>')
            parts.append("</ExtendedData>")
            alt = "<altitudeMode>absolute</altitudeMode>" if len(f.coords[0]) > 2 else ""
            tag = "Point" if GEOMETRY[name] == "Point" else "LineString"
            parts.append(f"<{tag}>{alt}<coordinates>{_kml_coords(f)}</coordinates></{tag}></Placemark>")
            n += 1
        parts.append("</Folder>")
    parts.append("</Document></kml>\n")
    path.write_text("".join(parts), encoding="utf-8")
    return n


def write_gpkg(layers: Layers, path: Path) -> int:
    import numpy as np
    import shapely
    from pyogrio.raw import write as ogr_write

    if path.exists():
        path.unlink()
    n = 0
    for name, fs in layers.layers.items():
        if not fs:
            continue
        if GEOMETRY[name] == "Point":
            geoms = [shapely.Point(f.coords[0]) for f in fs]
        else:
            geoms = [shapely.LineString(f.coords) for f in fs]
        has_z = any(len(f.coords[0]) > 2 for f in fs)
        if has_z:
            geoms = [shapely.force_3d(g) for g in geoms]
        wkb = np.array(shapely.to_wkb(geoms, include_srid=False, output_dimension=3 if has_z else 2), dtype=object)
        cols = columns(fs)
        data = []
        for kind, vals in cols.values():
            if kind == "float":
                data.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64))
            elif kind in ("int", "bool"):
                if any(v is None for v in vals):
                    data.append(np.array([np.nan if v is None else float(v) for v in vals], dtype=np.float64))
                else:
                    data.append(np.array([int(v) for v in vals], dtype=np.int64 if kind == "int" else np.bool_))
            else:
                data.append(np.array(vals, dtype=object))
        gtype = GEOMETRY[name] + (" Z" if has_z else "")
        ogr_write(str(path), wkb, data, list(cols), layer=name, driver="GPKG", geometry_type=gtype,
                  crs="EPSG:4326", append=n > 0)  # fmt: skip
        n += len(fs)
    return n


def write(layers: Layers, path: Path) -> int:
    """Write every layer to ``path`` (format by suffix); returns the number of features written."""
    from borderwatch.errors import InputError

    suf = path.suffix.lower()
    if suf == ".gpkg":
        return write_gpkg(layers, path)
    if suf in (".geojson", ".json"):
        return write_geojson(layers, path)
    if suf == ".kml":
        return write_kml(layers, path)
    raise InputError("unknown format: the file must end in .gpkg, .geojson or .kml", source=str(path), field="-o")
