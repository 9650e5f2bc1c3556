"""The defence-line layer of the browser picture: ``GET /api/v1/defence`` (issue 12).

Serves what ``borderwatch mobility corridors`` and ``borderwatch mobility plan`` wrote into the folder given to
``serve --mobility DIR`` (chokepoints.geojson, corridors.geojson, interdiction.geojson, routes.geojson,
thin_data.geojson, plan.json) and the counter-mobility parks (shipped parks.yaml, or DIR/parks.yaml), as GeoJSON
FeatureCollections. 404 when the service was started without ``--mobility``. A file that cannot be read is left
out and named in ``notes`` (the others are still served).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException

from borderwatch.server.deps import Reader, State

router = APIRouter(prefix="/api/v1", tags=["defence"])

LAYERS = ("chokepoints", "corridors", "interdiction", "routes", "thin_data")
PLAN_KEYS = ("indicator", "readiness_level", "level_name", "status", "makespan_h", "lower_bound_h", "gap")


def _fc(features: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features}


def _read_fc(path: Path, notes: list[str]) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        notes.append(f"{path.name}: not readable JSON ({e})")
        return None
    if not isinstance(doc, dict) or doc.get("type") != "FeatureCollection" or not isinstance(doc.get("features"), list):
        notes.append(f"{path.name}: type: not a GeoJSON FeatureCollection")
        return None
    feats = [f for f in doc["features"] if isinstance(f, dict) and isinstance(f.get("geometry"), dict)]
    if len(feats) != len(doc["features"]):
        notes.append(f"{path.name}: features: {len(doc['features']) - len(feats)} without a geometry left out")
    return _fc(feats)


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


def defence_layers(folder: Path) -> dict[str, Any]:
    """The layers of one mobility output folder (read on every call: a new plan shows without a restart)."""
    from borderwatch.errors import BorderwatchError
    from borderwatch.mobility.plan import load_parks

    notes: list[str] = []
    out: dict[str, Any] = {"source": str(folder), "layers": {}, "plan": None, "notes": notes}
    for name in LAYERS:
        p = folder / f"{name}.geojson"
        if p.is_file():
            fc = _read_fc(p, notes)
            if fc is not None:
                out["layers"][name] = fc
    plan_path = folder / "plan.json"
    if plan_path.is_file():
        try:
            plan = json.loads(plan_path.read_text(encoding="utf-8"))
            sites = plan["chokepoints"]
            planned = [
                _point(
                    float(c["lon"]),
                    float(c["lat"]),
                    {k: c.get(k) for k in ("id", "kind", "segment", "closed_h", "first_arrival_h", "trucks")},
                )
                for c in sites
            ]
            out["plan"] = {k: plan.get(k) for k in PLAN_KEYS} | {"unclosed": plan.get("unclosed", [])}
            out["layers"]["plan"] = _fc(planned)
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError) as e:
            notes.append(f"plan.json: chokepoints: not a deployment plan ({type(e).__name__}: {e})")
    parks_path = folder / "parks.yaml"
    try:
        pf = load_parks(parks_path if parks_path.is_file() else None)
        out["layers"]["parks"] = _fc(
            [_point(p.lon, p.lat, {"name": p.name, "trucks": p.trucks, "stock": dict(p.stock)}) for p in pf.parks]
        )
    except BorderwatchError as e:
        notes.append(f"parks.yaml: {e}")
    return out


@router.get("/defence")
def defence(_: Reader, st: State) -> dict[str, Any]:
    """Chokepoints, corridors, interdiction set, truck routes, thin-data areas, counter-mobility parks and the
    current deployment plan (``plan``: indicator, makespan, status; ``layers.plan``: its chokepoints with their
    closure hour), each layer a GeoJSON FeatureCollection (lon/lat)."""
    folder = st.settings.mobility
    if folder is None:
        raise HTTPException(404, "no defence-line layer: start the service with --mobility DIR")
    if not folder.is_dir():
        raise HTTPException(404, f"{folder}: the --mobility folder is gone")
    return defence_layers(folder)
