"""The browser picture's server side (issue 12): the history extent for the review timeline, the defence-line
layer (`serve --mobility DIR`), offline tiles (`serve --tiles FILE`, MBTiles and PMTiles), sensor coverage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from layerkit import mobility_dir, write_mbtiles, write_pmtiles
from serverkit import T0, Env, login


def _client(env: Env, **kw: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    from borderwatch.server import Settings, create_app

    app = create_app(Settings(store=env.db, clock=env.clock, run_engine=False, **kw))
    with TestClient(app) as c:
        yield c


def test_history_extent(env: Env) -> None:
    from borderwatch.store import open_store
    from borderwatch.store.picture import write_track_points

    for c in _client(env):
        vera = login(c, "vera")
        empty = c.get("/api/v1/history/extent", headers=vera).json()
        assert empty["t_min"] is None and empty["track_points"] == 0 and empty["max_window_s"] > 0
        st = open_store(env.db)
        write_track_points(
            st, [{"track": f"T{i}", "t": T0 - 100 + 7 * i, "lat": 56.5, "lon": 27.5, "alt_m": 100.0} for i in range(5)]
        )
        st.close()
        x = c.get("/api/v1/history/extent", headers=vera).json()
        assert (x["t_min"], x["t_max"], x["track_points"]) == (T0 - 100, T0 - 72, 5)
        assert c.get("/api/v1/history/extent").status_code == 401


def test_defence_layer(env: Env, tmp_path: Path) -> None:
    for c in _client(env):
        vera = login(c, "vera")
        r = c.get("/api/v1/defence", headers=vera)
        assert r.status_code == 404 and "--mobility" in r.json()["detail"]
        assert c.get("/api/v1/theatre/layers", headers=vera).json()["optional"] == {"defence": False, "tiles": False}
    mob = tmp_path / "mob"
    mob.mkdir()
    mobility_dir(mob)
    for c in _client(env, mobility=mob):
        vera = login(c, "vera")
        d = c.get("/api/v1/defence", headers=vera).json()
        assert [f["properties"]["id"] for f in d["layers"]["chokepoints"]["features"]] == ["cp-1", "cp-2"]
        assert d["layers"]["corridors"]["features"][0]["geometry"]["type"] == "LineString"
        assert d["layers"]["plan"]["features"][0]["properties"]["closed_h"] == 6.5
        assert d["plan"]["indicator"] == "full" and d["plan"]["makespan_h"] == 6.5
        assert len(d["layers"]["parks"]["features"]) >= 1  # the shipped counter-mobility parks
        assert "routes" not in d["layers"] and any(n.startswith("routes.geojson") for n in d["notes"])  # bad file
        assert c.get("/api/v1/theatre/layers", headers=vera).json()["optional"]["defence"] is True


@pytest.mark.parametrize("kind", ["mbtiles", "pmtiles"])
def test_offline_tiles(env: Env, tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"tiny.{kind}"
    ts = write_mbtiles(path) if kind == "mbtiles" else write_pmtiles(path)
    for c in _client(env, tiles=path):
        vera = login(c, "vera")
        info = c.get("/api/v1/tiles", headers=vera).json()
        top = max(z for z, *_ in ts)
        assert (info["kind"], info["type"], info["format"], info["maxzoom"]) == (kind, "raster", "png", top)
        for z, x, y, data in ts:
            r = c.get(f"/api/v1/tiles/{z}/{x}/{y}")
            assert r.status_code == 200 and r.content == data and r.headers["content-type"] == "image/png"
        assert c.get(f"/api/v1/tiles/{top + 1}/0/0").status_code == 204  # none at that zoom
        assert c.get("/api/v1/tiles/1/2/0").status_code == 422  # outside the grid


def test_tiles_refused_with_reason(tmp_path: Path) -> None:
    from borderwatch.errors import InputError
    from borderwatch.server.routes.tiles import open_tiles

    bad = tmp_path / "bad.mbtiles"
    bad.write_bytes(b"not sqlite at all" * 10)
    with pytest.raises(InputError, match="not an MBTiles file"):
        open_tiles(bad)
    (tmp_path / "x.zip").write_bytes(b"x")
    with pytest.raises(InputError, match="unknown tile archive"):
        open_tiles(tmp_path / "x.zip")
    junk = tmp_path / "junk.pmtiles"
    junk.write_bytes(b"\0" * 200)
    with pytest.raises(InputError, match="PMTiles"):
        open_tiles(junk)
    with pytest.raises(InputError, match="file not found"):
        open_tiles(tmp_path / "missing.mbtiles")


def test_no_tiles_is_404(env: Env) -> None:
    for c in _client(env):
        assert c.get("/api/v1/tiles", headers=login(c, "vera")).status_code == 404
        assert c.get("/api/v1/tiles/0/0/0").status_code == 404
