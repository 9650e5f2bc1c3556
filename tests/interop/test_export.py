"""GeoPackage / GeoJSON / KML export, read back with GDAL (pyogrio) as the independent reader."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from borderwatch.interop.export import collect, columns, write


def _run_dir(d: Path, seed: int) -> Path:
    rng = np.random.default_rng(seed)
    d.mkdir(parents=True, exist_ok=True)
    lines, ass = [], []
    n_tracks = int(rng.integers(2, 6))
    for k in range(n_tracks):
        lat0, lon0 = float(rng.uniform(56, 57)), float(rng.uniform(27, 28))
        for i in range(int(rng.integers(1, 8))):
            lines.append({"t": 1767225600.0 + i, "track": f"T{k:06d}", "lat": lat0 + 0.001 * i, "lon": lon0 - 0.001 * i,
                          "alt_m": 300.0 + i, "vel_enu_mps": [-40.0, 5.0, 0.0],
                          "cov_pos_enu_m2": [[900, 0, 0], [0, 900, 0], [0, 0, 2500]], "status": "confirmed",
                          "class": {"shahed": 0.8, "stray_lr": 0.2}, "sensors": ["ac-1"], "cooperative": False,
                          "quality": 0.9})  # fmt: skip
        ass.append({"t": 1767225600.0, "track": f"T{k:06d}", "identity": ["hostile", "suspect", "unknown"][k % 3],
                    "class": "shahed", "score": 0.7, "crossing": {"t": 1767225900.0, "lat": 56.5, "lon": 28.1,
                    "segment": "LV-RU", "sigma_m": 300.0, "sigma_s": 20.0}})  # fmt: skip
    (d / "tracks.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines) + "not json\n")
    (d / "assessments.jsonl").write_text("".join(json.dumps(x) + "\n" for x in ass))
    msg = "hostile shahed crossed <LV-RU> & more"
    alerts = [{"id": "A0001", "t": 1767225601.0, "kind": "crossed", "level": "alarm", "track": "T000000",
               "identity": "hostile", "lat": 56.5, "lon": 27.9, "message": msg}]  # fmt: skip
    (d / "alerts.jsonl").write_text("".join(json.dumps(x) + "\n" for x in alerts))
    (d / "chokepoints.geojson").write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [27.8, 56.3]},
         "properties": {"id": "C01", "kind": "road", "lanes": 2, "width_m": 7.5, "bridge": True,
                        "entries": ["a", "b"]}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [999, 56.3]}, "properties": {"id": "C02"}},
    ]}))  # fmt: skip
    (d / "plan.json").write_text(json.dumps({"makespan_h": 5.0, "chokepoints": [
        {"id": "C01", "kind": "road", "lon": 27.8, "lat": 56.3, "closed_h": 4.5, "trucks": ["T1"],
         "parks": {"P": {"x": 1}}}],
        "trucks": [{"truck": "T1", "park": "P", "route": {"edges": [1, 2], "road_km": 10.0,
                    "coordinates": [[27.5, 56.2], [27.6, 56.25], [27.8, 56.3]]}, "trips": []}]}))  # fmt: skip
    reg = [{"event_id": "EV-20260101-0001", "version": 1, "action": "first_report", "owner": "x",
            "data": {"lat": 56.4, "lon": 27.95, "persons": 3, "outcome": "prevented"}},
           {"event_id": "EV-20260101-0001", "version": 2, "action": "follow_up", "owner": "x",
            "data": {"lat": 56.41, "lon": 27.95, "persons": 4, "outcome": "apprehended"}}]  # fmt: skip
    (d / "events.jsonl").write_text("".join(json.dumps(x) + "\n" for x in reg))
    return d


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_format_reads_back_in_gdal(tmp_path: Path, seed: int) -> None:
    pyogrio = pytest.importorskip("pyogrio")
    run = _run_dir(tmp_path / "run", seed)
    got = collect([run])
    assert got.rejected["tracks.jsonl: line 1: not JSON"] == 0
    assert sum(v for k, v in got.rejected.items() if "not JSON" in k) == 1
    assert any("features[1]" in k for k in got.rejected)  # the chokepoint at lon 999
    heads = got.layers["track_heads"]
    n_tracks = len(heads)
    for suffix in (".gpkg", ".geojson", ".kml"):
        out = tmp_path / f"out{suffix}"
        n = write(got, out)
        assert n == sum(len(v) for v in got.layers.values())
        if suffix == ".gpkg":
            names = [str(x[0]) for x in pyogrio.list_layers(out)]
            assert set(names) == {k for k, v in got.layers.items() if v}
            meta, _, geom, fields = pyogrio.raw.read(out, layer="track_heads")
            assert len(geom) == n_tracks and meta["crs"] == "EPSG:4326"
            tracks = list(fields[meta["fields"].tolist().index("track")])
            assert sorted(tracks) == sorted(f.props["track"] for f in heads)
            import shapely

            pts = shapely.from_wkb(geom)
            for p, tid in zip(pts, tracks, strict=True):
                h = next(f for f in heads if f.props["track"] == tid)
                assert (p.x, p.y) == pytest.approx(h.coords[0][:2])
            meta, _, geom, fields = pyogrio.raw.read(out, layer="border_events")
            persons = fields[meta["fields"].tolist().index("persons")]
            assert list(persons) == [4]  # the latest version
            meta, _, geom, _ = pyogrio.raw.read(out, layer="plan_routes")
            assert shapely.from_wkb(geom[0]).coords[-1] == pytest.approx((27.8, 56.3))
        elif suffix == ".geojson":
            meta, _, geom, fields = pyogrio.raw.read(out)
            assert len(geom) == n
            layer_col = list(fields[meta["fields"].tolist().index("layer")])
            assert layer_col.count("track_heads") == n_tracks
        else:
            root = ET.parse(out).getroot()
            ns = {"k": "http://www.opengis.net/kml/2.2"}
            assert len(root.findall(".//k:Placemark", ns)) == n
            msg = [
                d.findtext("k:value", namespaces=ns)
                for d in root.findall(".//k:Data", ns)
                if d.get("name") == "message"
            ]
            assert msg == ["hostile shahed crossed <LV-RU> & more"]
            layers = pyogrio.list_layers(out)  # GDAL's KML driver: one layer per Folder
            assert {str(x[0]) for x in layers} >= {"track_heads", "alerts"}


def test_columns_keep_types_and_json_encode_nested() -> None:
    from borderwatch.interop.export import Feature

    fs = [Feature([(0.0, 0.0)], {"a": 1, "b": 1.5, "c": True, "d": {"x": 1}, "e": "s"}),
          Feature([(0.0, 0.0)], {"a": 2, "b": 2, "c": None, "e": 3})]  # fmt: skip
    cols = columns(fs)
    assert {k: v[0] for k, v in cols.items()} == {"a": "int", "b": "float", "c": "bool", "d": "str", "e": "str"}
    assert cols["d"][1] == ['{"x": 1}', None] and cols["e"][1] == ["s", "3"]


def test_cli_export_and_errors(tmp_path: Path) -> None:
    from borderwatch.cli import app

    run = _run_dir(tmp_path / "run", 4)
    r = CliRunner().invoke(app, ["export", str(run), "-o", str(tmp_path / "x.gpkg"), "--layers", "alerts,track_heads"])
    assert r.exit_code == 0, r.output
    assert "alerts 1" in r.output and "plan_sites" not in r.output
    r = CliRunner().invoke(app, ["export", str(run), "-o", str(tmp_path / "x.shp")])
    assert r.exit_code == 2 and ".gpkg" in r.output
    r = CliRunner().invoke(app, ["export", str(tmp_path / "nothing-here"), "-o", str(tmp_path / "x.kml")])
    assert r.exit_code == 2 and "no such file" in r.output
    r = CliRunner().invoke(app, ["export", str(run), "-o", str(tmp_path / "x.kml"), "--layers", "tanks"])
    assert r.exit_code == 2 and "unknown layer" in r.output
