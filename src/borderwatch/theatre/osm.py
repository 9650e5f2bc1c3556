"""Build a theatre folder from the planner's own OpenStreetMap extract (a Geofabrik-style ``.osm.pbf``).

:func:`import_osm` reads the extract with pyosmium and writes ``roads_osm.geojson`` (every ``highway`` way of a
drivable class, with its OSM class, ref, name, lanes, maxspeed and bridge flag), ``railways_osm.geojson``
(``railway`` = rail / narrow_gauge / light_rail) and ``rivers_osm.geojson`` (``waterway`` = river / canal), then
copies every other layer (countries, borders, places, crossings, lakes, terrain, assets) from a base theatre and
writes a ``theatre.yaml`` whose roads and railways are the extract's, with exact (shared-node) topology. The
base theatre's railways stay as a map-only fallback outside the extract.

Every way the reader cannot use is rejected, counted by reason and reported (``import_report.json``); a way that
references a node missing from the extract is one of them, and the rest of the extract is kept. A tag value that
cannot be read (``lanes=two``) drops that value, is counted, and keeps the way.
"""

from __future__ import annotations

import json
import shutil
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from shapely.geometry import LineString

from borderwatch.errors import InputError
from borderwatch.interop.geojson import write_features
from borderwatch.theatre.loader import resolve_theatre_dir
from borderwatch.theatre.schema import TheatreSpec

#: OSM highway value -> road class of the network catalogue (network.yaml)
HIGHWAY_CLASS = {
    "motorway": "Major Highway",
    "motorway_link": "Major Highway",
    "trunk": "Major Highway",
    "trunk_link": "Major Highway",
    "primary": "Secondary Highway",
    "primary_link": "Secondary Highway",
    "secondary": "Secondary Highway",
    "secondary_link": "Secondary Highway",
    "tertiary": "Road",
    "tertiary_link": "Road",
    "unclassified": "Road",
    "residential": "Road",
}
RAILWAY_CLASSES = ("rail", "narrow_gauge", "light_rail")
WATERWAY_CLASSES = ("river", "canal")
ROADS_FILE, RAILWAYS_FILE, RIVERS_FILE = "roads_osm.geojson", "railways_osm.geojson", "rivers_osm.geojson"
_ODBL = "ODbL 1.0, © OpenStreetMap contributors (https://www.openstreetmap.org/copyright)"


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}}
#: JSON Schema of import_report.json (quoted in docs/formats.md)
IMPORT_REPORT_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "import_report.json — what `borderwatch theatre import-osm` kept and rejected",
    "type": "object",
    "required": ["source", "roads", "railways", "rivers", "bridges", "extent", "rejected", "rejected_total"],
    "properties": {
        "source": {"type": "string"},
        "out_dir": {"type": "string"},
        "roads": {"type": "integer", "minimum": 0, "description": "highway ways kept"},
        "railways": {"type": "integer", "minimum": 0},
        "rivers": {"type": "integer", "minimum": 0},
        "bridges": {"type": "integer", "minimum": 0, "description": "kept ways tagged bridge"},
        "extent": {
            "type": ["array", "null"],
            "items": {"type": "number"},
            "minItems": 4,
            "maxItems": 4,
            "description": "lon_min, lat_min, lon_max, lat_max of the kept ways",
        },
        "rejected": {**_COUNTS, "description": "reason -> ways rejected"},
        "rejected_total": {"type": "integer", "minimum": 0},
        "dropped_tags": {**_COUNTS, "description": "reason -> tag values dropped (the way kept)"},
    },
}


@dataclass(slots=True)
class ImportReport:
    """What an import kept and rejected."""

    source: str
    out_dir: str
    roads: int = 0
    railways: int = 0
    rivers: int = 0
    bridges: int = 0
    extent: tuple[float, float, float, float] | None = None
    rejected: Counter[str] = field(default_factory=Counter)
    dropped_tags: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "out_dir": self.out_dir,
            "roads": self.roads,
            "railways": self.railways,
            "rivers": self.rivers,
            "bridges": self.bridges,
            "extent": list(self.extent) if self.extent else None,
            "rejected": dict(self.rejected),
            "rejected_total": sum(self.rejected.values()),
            "dropped_tags": dict(self.dropped_tags),
        }


def _number(tags: dict[str, str], key: str, report: ImportReport, *, mph: bool = False) -> float | None:
    raw = tags.get(key)
    if raw is None:
        return None
    text = raw.split(";")[0].strip()
    factor = 1.0
    if mph or text.endswith("mph"):
        factor = 1.609344
        text = text.removesuffix("mph").strip()
    try:
        value = float(text.split()[0]) * factor
    except (ValueError, IndexError):
        report.dropped_tags[f"{key}: not a number ({raw[:20]!r})"] += 1
        return None
    if value <= 0:
        report.dropped_tags[f"{key}: must be > 0 ({raw[:20]!r})"] += 1
        return None
    return value


def _flag(tags: dict[str, str], key: str) -> bool:
    return tags.get(key, "no").strip().casefold() not in ("no", "false", "0", "")


def import_osm(
    pbf: Path | str,
    out_dir: Path | str,
    *,
    base: str | Path = "latvia-east",
    name: str | None = None,
    progress: Any = None,
) -> ImportReport:
    """Build a theatre folder from an OSM extract.

    Parameters
    ----------
    pbf : the extract (``.osm.pbf``, ``.osm`` or ``.osm.bz2``), e.g. Geofabrik's ``latvia-latest.osm.pbf``.
    out_dir : the folder to write (created; existing files of the same names are replaced).
    base : shipped theatre name or folder whose other layers (borders, places, crossings, …) are copied.
    name : the new theatre's name (default: the folder's name).
    progress : optional ``callback(done, total)`` for a progress bar.

    Returns
    -------
    ImportReport with the counts; also written to ``out_dir/import_report.json``.

    Raises
    ------
    InputError when the file is missing, unreadable or holds no road or railway way.
    """
    import osmium

    src = Path(pbf)
    if not src.is_file():
        raise InputError("file not found", source=str(src))
    out = Path(out_dir)
    base_dir = resolve_theatre_dir(base)
    report = ImportReport(source=str(src), out_dir=str(out))
    roads: list[tuple[LineString, dict[str, Any]]] = []
    rails: list[tuple[LineString, dict[str, Any]]] = []
    rivers: list[tuple[LineString, dict[str, Any]]] = []
    xs: list[float] = []
    ys: list[float] = []
    cb = progress or (lambda done, total: None)
    cb(0, 3)
    try:
        fp = (
            osmium.FileProcessor(str(src))
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway", "railway", "waterway"))
        )
        for obj in fp:
            if not isinstance(obj, osmium.osm.Way):
                continue
            tags = {t.k: t.v for t in obj.tags}
            hw, rw, ww = tags.get("highway"), tags.get("railway"), tags.get("waterway")
            kind = (
                "road"
                if hw in HIGHWAY_CLASS
                else "rail"
                if rw in RAILWAY_CLASSES
                else "river"
                if ww in WATERWAY_CLASSES
                else None
            )
            if kind is None:
                continue
            try:
                coords = [(float(n.lon), float(n.lat)) for n in obj.nodes]
            except osmium.InvalidLocationError:
                report.rejected[f"{kind} way: a node it references is missing from the extract"] += 1
                continue
            if len(coords) < 2 or len(set(coords)) < 2:
                report.rejected[f"{kind} way: fewer than 2 distinct nodes"] += 1
                continue
            line = LineString(coords)
            xs += [c[0] for c in coords]
            ys += [c[1] for c in coords]
            props: dict[str, Any] = {"osm_id": int(obj.id)}
            for k in ("name", "ref"):
                if tags.get(k):
                    props[k] = tags[k]
            props["label"] = tags.get("ref") or tags.get("name") or None
            raw_layer = tags.get("layer", "0").strip()
            props["layer"] = int(raw_layer) if raw_layer.lstrip("-").isdigit() else 0
            if not raw_layer.lstrip("-").isdigit():
                report.dropped_tags[f"layer: not an integer ({raw_layer[:20]!r})"] += 1
            props["bridge"] = _flag(tags, "bridge")
            props["tunnel"] = _flag(tags, "tunnel")
            report.bridges += int(props["bridge"])
            if kind == "road":
                props["highway"] = hw
                props["class"] = HIGHWAY_CLASS[str(hw)]
                if (lanes := _number(tags, "lanes", report)) is not None:
                    props["lanes"] = max(1, round(lanes))
                if (speed := _number(tags, "maxspeed", report)) is not None:
                    props["maxspeed_kmh"] = round(speed, 1)
                roads.append((line, props))
            elif kind == "rail":
                props["railway"] = rw
                if (tracks := _number(tags, "tracks", report)) is not None:
                    props["tracks"] = max(1, round(tracks))
                if (speed := _number(tags, "maxspeed", report)) is not None:
                    props["maxspeed_kmh"] = round(speed, 1)
                props["electric"] = int(tags.get("electrified", "no") not in ("no", ""))
                rails.append((line, props))
            else:
                props["waterway"] = ww
                rivers.append((line, props))
    except RuntimeError as exc:
        raise InputError(f"not a readable OSM file: {exc}", source=str(src)) from None
    cb(1, 3)
    if not roads and not rails:
        raise InputError(
            f"no highway or railway way could be read ({sum(report.rejected.values())} rejected)", source=str(src)
        )
    report.roads, report.railways, report.rivers = len(roads), len(rails), len(rivers)
    report.extent = (round(min(xs), 5), round(min(ys), 5), round(max(xs), 5), round(max(ys), 5))
    out.mkdir(parents=True, exist_ok=True)
    write_features(out / ROADS_FILE, roads)
    write_features(out / RAILWAYS_FILE, rails)
    if rivers:
        write_features(out / RIVERS_FILE, rivers)
    cb(2, 3)
    _write_theatre(base_dir, out, report, name=name or out.resolve().name, with_rivers=bool(rivers))
    (out / "import_report.json").write_text(json.dumps(report.as_dict(), ensure_ascii=False, indent=2), "utf-8")
    cb(3, 3)
    return report


def _write_theatre(base_dir: Path, out: Path, report: ImportReport, *, name: str, with_rivers: bool) -> None:
    """theatre.yaml and ATTRIBUTION.md of the new folder; the base theatre's other files copied beside them."""
    spec = yaml.safe_load((base_dir / "theatre.yaml").read_text(encoding="utf-8"))
    TheatreSpec.model_validate(spec)  # the base must be a valid theatre
    src_name = Path(report.source).name
    layer_src = f"OpenStreetMap extract {src_name}, {_ODBL}"
    old_rail = spec.get("railways")
    spec["name"] = name
    spec["title"] = f"{spec.get('title', name)} — roads and railways from {src_name}"
    spec["roads"] = {
        "file": ROADS_FILE,
        "class_property": "class",
        "name_property": "label",
        "topology": "exact",
        "extent": list(report.extent) if report.extent else None,
        "source": layer_src,
    }
    spec["railways"] = {
        "file": RAILWAYS_FILE,
        "class_property": "railway",
        "name_property": "label",
        "topology": "exact",
        "extent": list(report.extent) if report.extent else None,
        "source": layer_src,
    }
    if old_rail:  # the base's railways: drawn outside the extract only
        spec["railways_fallback"] = {
            k: old_rail[k] for k in ("file", "class_property", "name_property", "exclude") if k in old_rail
        }
    else:
        spec.pop("railways_fallback", None)
    if with_rivers:
        spec["rivers"] = {"file": RIVERS_FILE, "class_property": "waterway", "name_property": "name"}
    used = {ROADS_FILE, RAILWAYS_FILE, RIVERS_FILE, "theatre.yaml", "ATTRIBUTION.md", "import_report.json"}
    for val in spec.values():
        if isinstance(val, dict) and isinstance(val.get("file"), str) and val["file"] not in used:
            shutil.copy2(base_dir / val["file"], out / val["file"])
    header = (
        f"# Theatre built by `borderwatch theatre import-osm {src_name}` from the base theatre {base_dir.name}.\n"
        "# Roads and railways come from the extract (exact OSM topology); every other layer is the base's.\n"
    )
    (out / "theatre.yaml").write_text(header + yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    base_attr = base_dir / "ATTRIBUTION.md"
    text = base_attr.read_text(encoding="utf-8") if base_attr.is_file() else ""
    text += (
        f"\n\n## Imported from {src_name}\n\n"
        f"{ROADS_FILE}, {RAILWAYS_FILE}{', ' + RIVERS_FILE if with_rivers else ''}: highway, railway and waterway "
        f"ways of {src_name}, {_ODBL}. Every other file above comes from the base theatre {base_dir.name}.\n"
    )
    (out / "ATTRIBUTION.md").write_text(text, encoding="utf-8")
