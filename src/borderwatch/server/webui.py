"""The browser picture (issue 12): ``/`` serves the shipped bundle, ``GET /api/v1/theatre/layers`` the base map.

The bundle is built from ``web/`` at the repository root by ``make web`` into ``server/web/dist/`` and shipped in
the package, so a user needs no Node. Nothing the page loads comes from another host: the base map is the
theatre's own layers as GeoJSON (no glyph server: MapLibre draws the labels with the system's fonts), with
offline tiles only from a local file (``serve --tiles``).
"""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse, Response

from borderwatch.server.deps import Reader, State

DIST = Path(__file__).resolve().parent / "web" / "dist"
SIMPLIFY_DEG = 0.0005  # ≈ 50 m: lines are drawn at theatre scale, the full geometry stays in the library

router = APIRouter(tags=["web"])
_lock = threading.Lock()

_TYPES = {
    "index.html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wav": "audio/wav",
}


def _feature(geom: Any, props: dict[str, Any]) -> dict[str, Any]:
    from shapely.geometry import mapping

    simple = geom.simplify(SIMPLIFY_DEG, preserve_topology=True)
    return {"type": "Feature", "geometry": mapping(simple), "properties": props}


def _point(lon: float, lat: float, props: dict[str, Any]) -> dict[str, Any]:
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": props}


@cache
def theatre_layers(name: str) -> dict[str, Any]:
    """The theatre's layers as one JSON object of GeoJSON FeatureCollections (cached per theatre)."""
    from borderwatch.theatre import load_theatre

    th = load_theatre(name)

    def fc(feats: list[dict[str, Any]]) -> dict[str, Any]:
        return {"type": "FeatureCollection", "features": feats}

    neighbours = sorted({s.neighbour for s in th.segments})
    return {
        "name": th.name,
        "title": th.title,
        "home": th.home.iso2,
        "bbox": list(th.bbox),
        "attribution": th.attribution,
        "neighbours": neighbours,
        "countries": fc(
            [
                _feature(c.geometry, {"iso2": c.iso2, "name": c.name, "home": c.iso2 == th.home.iso2})
                for c in th.countries.values()
            ]
        ),
        "borders": fc(
            [
                _feature(
                    s.geometry,
                    {"id": s.id, "neighbour": s.neighbour, "neighbour_name": s.neighbour_name, "watched": s.watched},
                )
                for s in th.segments
            ]
        ),
        "roads": fc([_feature(r.geometry, {"cls": r.cls, "name": r.name}) for r in th.roads]),
        "railways": fc([_feature(r.geometry, {"cls": r.cls, "name": r.name}) for r in th.railways]),
        "rivers": fc([_feature(r.geometry, {"cls": r.cls, "name": r.name}) for r in th.rivers]),
        "lakes": fc([_feature(lk.geometry, {"name": lk.name}) for lk in th.lakes]),
        "places": fc(
            [
                _point(p.lon, p.lat, {"name": p.name, "population": p.population, "home": p.in_home})
                for p in sorted(th.places, key=lambda p: -p.population)
            ]
        ),
        "crossings": fc(
            [
                _point(c.lon, c.lat, {"name": c.name, "kind": c.kind, "status": c.status, "segment": c.segment})
                for c in th.crossings
                if c.lat is not None and c.lon is not None
            ]
        ),
        "assets": fc([_point(a.lon, a.lat, {"name": a.name, "kind": a.kind}) for a in th.assets]),
    }


@router.get("/api/v1/theatre/layers")
def layers(_: Reader, st: State) -> dict[str, Any]:
    """The base map: countries, border segments (with neighbour), roads, railways, rivers, lakes, places,
    crossings (with status) and assets of the service's theatre, as GeoJSON (lon/lat, simplified to ≈ 50 m);
    ``optional`` says whether the defence-line layer (``--mobility``) and offline tiles (``--tiles``) exist."""
    from borderwatch.theatre import DEFAULT_THEATRE

    with _lock:  # one load even when several browsers open at once
        base = theatre_layers(st.settings.theatre or DEFAULT_THEATRE)
    # which optional layers this service has (the page asks for them only then: no request that must fail)
    optional = {"defence": st.settings.mobility is not None, "tiles": st.settings.tiles is not None}
    return {**base, "optional": optional}


def _file(path: Path) -> Response:
    if not path.is_file():
        raise HTTPException(404, f"{path.name}: not in the shipped bundle (run `make web`)")
    kind = _TYPES.get(path.name) or _TYPES.get(path.suffix, "application/octet-stream")
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
def index() -> Response:
    return _file(DIST / "index.html")


@router.get("/static/{name}", include_in_schema=False)
def static(name: str) -> Response:
    if "/" in name or name.startswith("."):
        raise HTTPException(404, "not found")
    return _file(DIST / name)
