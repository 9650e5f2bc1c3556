"""Optional offline base-map tiles for the browser picture (issue 12): ``serve --tiles FILE``.

An MBTiles file (SQLite, TMS row order, read with the standard library) or a PMTiles v3 archive (read with the
optional ``pmtiles`` package: ``pip install borderwatch[tiles]``). ``GET /api/v1/tiles`` tells the page what
there is (format, raster or vector, zoom range, bounds, vector layer ids); ``GET /api/v1/tiles/{z}/{x}/{y}``
serves one tile (XYZ numbering) or 204 when the file has none there. Everything comes from the local file:
the page never asks another host for a tile. No authentication on the tile itself (MapLibre fetches tiles
without the bearer token), but only when ``--tiles`` was given, and only from the named file.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.responses import Response

from borderwatch.errors import InputError
from borderwatch.server.deps import Reader, State

router = APIRouter(prefix="/api/v1", tags=["tiles"])

_IMAGE = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp"}


@dataclass
class TileFile:
    """One opened tile archive; ``get(z, x, y)`` returns the tile bytes (XYZ numbering) or None."""

    path: Path
    kind: str  # mbtiles | pmtiles
    format: str  # png | jpg | webp | pbf
    minzoom: int
    maxzoom: int
    bounds: list[float] | None
    vector_layers: list[str]
    gzip: bool
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _db: sqlite3.Connection | None = None
    _reader: Any = None

    @property
    def media_type(self) -> str:
        return _IMAGE.get(self.format, "application/x-protobuf")

    def info(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "format": self.format,
            "type": "vector" if self.format == "pbf" else "raster",
            "minzoom": self.minzoom,
            "maxzoom": self.maxzoom,
            "bounds": self.bounds,
            "vector_layers": self.vector_layers,
            "url": "/api/v1/tiles/{z}/{x}/{y}",
        }

    def get(self, z: int, x: int, y: int) -> bytes | None:
        with self._lock:
            if self._db is not None:
                row = self._db.execute(
                    "SELECT tile_data FROM tiles WHERE zoom_level=? AND tile_column=? AND tile_row=?",
                    (z, x, (1 << z) - 1 - y),
                ).fetchone()
                return None if row is None else bytes(row[0])
            data = self._reader.get(z, x, y)
            return None if not data else bytes(data)


def _bounds(v: Any) -> list[float] | None:
    try:
        b = [float(x) for x in (v.split(",") if isinstance(v, str) else v)]
    except (TypeError, ValueError):
        return None
    return b if len(b) == 4 else None


def open_mbtiles(path: Path) -> TileFile:
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        meta = dict(db.execute("SELECT name, value FROM metadata").fetchall())
        db.execute("SELECT 1 FROM tiles LIMIT 1").fetchall()
    except sqlite3.Error as e:
        raise InputError(f"not an MBTiles file ({e})", source=str(path), field="--tiles") from e
    fmt = str(meta.get("format", "png")).lower()
    if fmt not in (*_IMAGE, "pbf"):
        raise InputError(f"metadata.format: unknown tile format {fmt!r}", source=str(path), field="--tiles")
    layers: list[str] = []
    if fmt == "pbf" and "json" in meta:
        try:
            layers = [str(v["id"]) for v in json.loads(meta["json"]).get("vector_layers", [])]
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as e:
            raise InputError(f"metadata.json: bad vector_layers ({e})", source=str(path), field="--tiles") from e
    try:
        zr = db.execute("SELECT MIN(zoom_level), MAX(zoom_level) FROM tiles").fetchone()
        minzoom = int(meta.get("minzoom", zr[0] if zr[0] is not None else 0))
        maxzoom = int(meta.get("maxzoom", zr[1] if zr[1] is not None else 14))
    except (TypeError, ValueError) as e:
        raise InputError(f"metadata: bad minzoom/maxzoom ({e})", source=str(path), field="--tiles") from e
    return TileFile(path, "mbtiles", fmt, minzoom, maxzoom, _bounds(meta.get("bounds")), layers, fmt == "pbf", _db=db)


def open_pmtiles(path: Path) -> TileFile:
    import importlib

    try:  # an optional package, typed loosely or not at all: used through Any
        reader_mod: Any = importlib.import_module("pmtiles.reader")
        tile_mod: Any = importlib.import_module("pmtiles.tile")
    except ImportError as e:
        raise InputError(
            "reading PMTiles needs the pmtiles package: pip install 'borderwatch[tiles]'", field="--tiles"
        ) from e
    fh = path.open("rb")
    try:
        reader = reader_mod.Reader(reader_mod.MmapSource(fh))
        h = reader.header()
        meta = reader.metadata()
    except Exception as e:  # the package raises plain exceptions on a bad header
        fh.close()
        raise InputError(f"not a PMTiles v3 archive ({e})", source=str(path), field="--tiles") from e
    tt = tile_mod.TileType
    fmt = {tt.PNG: "png", tt.JPEG: "jpg", tt.WEBP: "webp", tt.MVT: "pbf"}.get(h["tile_type"], "png")
    bounds = [h["min_lon_e7"] / 1e7, h["min_lat_e7"] / 1e7, h["max_lon_e7"] / 1e7, h["max_lat_e7"] / 1e7]
    layers = [str(v.get("id")) for v in (meta or {}).get("vector_layers", []) if isinstance(v, dict)]
    gz = h["tile_compression"] == tile_mod.Compression.GZIP
    return TileFile(path, "pmtiles", fmt, int(h["min_zoom"]), int(h["max_zoom"]), bounds, layers, gz, _reader=reader)


def open_tiles(path: Path) -> TileFile:
    """Open ``path`` by its suffix (.mbtiles or .pmtiles); InputError naming the reason otherwise."""
    if not path.is_file():
        raise InputError("file not found", source=str(path), field="--tiles")
    suffix = path.suffix.lower()
    if suffix == ".mbtiles":
        return open_mbtiles(path)
    if suffix == ".pmtiles":
        return open_pmtiles(path)
    raise InputError(f"unknown tile archive {suffix!r}: give an .mbtiles or .pmtiles file", field="--tiles")


_open: dict[Path, TileFile] = {}
_open_lock = threading.Lock()


def _tiles(st: Any) -> TileFile:
    path = st.settings.tiles
    if path is None:
        raise HTTPException(404, "no offline tiles: start the service with --tiles FILE.mbtiles|.pmtiles")
    with _open_lock:
        if path not in _open:
            _open[path] = open_tiles(path)
        return _open[path]


@router.get("/tiles")
def tiles_info(_: Reader, st: State) -> dict[str, Any]:
    """What the offline tile file holds: raster or vector, zoom range, bounds, vector layer ids, tile URL."""
    return _tiles(st).info()


@router.get("/tiles/{z}/{x}/{y}")
def tile(z: int, x: int, y: int, st: State) -> Response:
    if not (0 <= z <= 30 and 0 <= x < (1 << z) and 0 <= y < (1 << z)):
        raise HTTPException(422, f"tile {z}/{x}/{y} is outside the tile grid")
    tf = _tiles(st)
    data = tf.get(z, x, y)
    if data is None:
        return Response(status_code=204)
    headers = {"Cache-Control": "max-age=3600"}
    if tf.gzip and data[:2] == b"\x1f\x8b":
        headers["Content-Encoding"] = "gzip"
    return Response(content=data, media_type=tf.media_type, headers=headers)
