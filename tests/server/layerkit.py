"""Optional map layers for the web tests: tiny offline tile archives (every tile of zoom 0..maxzoom as a PNG drawn
by Pillow, one colour per zoom level, as MBTiles with TMS rows or PMTiles v3 through the pmtiles package's writer)
and a small folder of `borderwatch mobility` outputs in the documented format (docs/formats.md)."""

from __future__ import annotations

import io
import json
import sqlite3
from pathlib import Path
from typing import Any

COLOURS = [(200, 60, 60), (60, 160, 60), (60, 60, 200), (200, 200, 60)]


def png(z: int, x: int, y: int) -> bytes:
    from PIL import Image, ImageDraw

    im = Image.new("RGB", (256, 256), COLOURS[z % len(COLOURS)])
    ImageDraw.Draw(im).text((8, 8), f"{z}/{x}/{y}", fill=(0, 0, 0))
    buf = io.BytesIO()
    im.save(buf, format="PNG")
    return buf.getvalue()


def tiles(maxzoom: int) -> list[tuple[int, int, int, bytes]]:
    return [(z, x, y, png(z, x, y)) for z in range(maxzoom + 1) for x in range(1 << z) for y in range(1 << z)]


def write_mbtiles(path: Path, maxzoom: int = 2) -> list[tuple[int, int, int, bytes]]:
    ts = tiles(maxzoom)
    db = sqlite3.connect(path)
    db.executescript(
        "CREATE TABLE metadata (name TEXT, value TEXT);"
        "CREATE TABLE tiles (zoom_level INTEGER, tile_column INTEGER, tile_row INTEGER, tile_data BLOB);"
    )
    meta = {"name": "test", "format": "png", "minzoom": "0", "maxzoom": str(maxzoom), "bounds": "-180,-85,180,85"}
    db.executemany("INSERT INTO metadata VALUES (?, ?)", list(meta.items()))
    db.executemany("INSERT INTO tiles VALUES (?, ?, ?, ?)", [(z, x, (1 << z) - 1 - y, d) for z, x, y, d in ts])
    db.commit()
    db.close()
    return ts


def write_pmtiles(path: Path, maxzoom: int = 1) -> list[tuple[int, int, int, bytes]]:
    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    ts = tiles(maxzoom)
    with path.open("wb") as f:
        w = Writer(f)
        for z, x, y, d in sorted(ts, key=lambda t: zxy_to_tileid(t[0], t[1], t[2])):
            w.write_tile(zxy_to_tileid(z, x, y), d)
        w.finalize(
            {
                "tile_type": TileType.PNG,
                "tile_compression": Compression.NONE,
                "min_zoom": 0,
                "max_zoom": maxzoom,
                "min_lon_e7": -1800000000,
                "min_lat_e7": -850000000,
                "max_lon_e7": 1800000000,
                "max_lat_e7": 850000000,
                "center_zoom": 0,
                "center_lon_e7": 0,
                "center_lat_e7": 0,
            },
            {"name": "test"},
        )
    return ts


def mobility_dir(d: Path) -> Path:
    """chokepoints.geojson, corridors.geojson, plan.json as `borderwatch mobility corridors`/`plan` write them,
    and a routes.geojson that is not JSON (the endpoint must leave it out and say so)."""

    def fc(feats: list[dict[str, Any]]) -> str:
        return json.dumps({"type": "FeatureCollection", "features": feats})

    def pt(lon: float, lat: float, **p: Any) -> dict[str, Any]:
        return {"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}, "properties": p}

    (d / "chokepoints.geojson").write_text(fc([pt(27.9, 56.6, id="cp-1", kind="road"), pt(28.0, 56.2, id="cp-2")]))
    line = {"type": "LineString", "coordinates": [[28.1, 56.5], [27.3, 56.5]]}
    (d / "corridors.geojson").write_text(fc([{"type": "Feature", "geometry": line, "properties": {"id": "c1"}}]))
    (d / "routes.geojson").write_text("{not json")
    plan = {
        "indicator": "full",
        "readiness_level": 3,
        "status": "optimal",
        "makespan_h": 6.5,
        "chokepoints": [{"id": "cp-1", "kind": "road", "lon": 27.9, "lat": 56.6, "closed_h": 6.5, "trucks": ["t1"]}],
        "unclosed": [],
    }
    (d / "plan.json").write_text(json.dumps(plan))
    return d
