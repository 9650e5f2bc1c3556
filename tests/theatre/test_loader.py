from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from borderwatch.errors import InputError, NotFoundError
from borderwatch.theatre import load_theatre
from borderwatch.theatre.loader import resolve_theatre_dir
from borderwatch.theatre.model import Theatre


def test_watched_segments_lengths_from_geometry(theatre: Theatre) -> None:
    ru = theatre.segment("LV-RU")
    by = theatre.segment("LV-BY")
    assert ru.neighbour == "RU" and by.neighbour == "BY"
    assert ru.watched and by.watched
    assert abs(ru.length_km - 277.1) < 1.0  # the OSM line measures ≈277 km
    assert abs(by.length_km - 163.8) < 1.0  # ≈164 km
    assert ru.published_length_km == (214.0, 283.0)
    assert by.published_length_km == (172.9, 172.9)


def test_nine_crossings_with_status(theatre: Theatre) -> None:
    assert len(theatre.crossings) == 9
    by_name = {c.name.split("–")[0].split(" ")[0]: c for c in theatre.crossings}
    assert by_name["Terehova"].status == "open"
    assert by_name["Vientuļi"].status == "suspended" and by_name["Vientuļi"].lat is None
    assert by_name["Silene"].status == "closed"
    assert {c.kind for c in theatre.crossings} == {"road", "rail"}


def test_crossings_snapped_onto_border(theatre: Theatre) -> None:
    """Every crossing with a coordinate lies on (within 1 m of) its border segment and keeps its quality."""
    for c in theatre.crossings:
        if c.lat is None:
            continue
        assert c.snapped, c.name
        assert c.quality == "derived"
        assert c.snap_offset_m is not None and c.snap_offset_m < 5000
        seg = theatre.segment(c.segment)
        x, y = theatre.xy(c.lat, c.lon)
        from shapely.geometry import Point

        assert theatre.project(seg.geometry).distance(Point(float(x), float(y))) < 1.0, c.name


def test_places_and_assets(theatre: Theatre) -> None:
    assert theatre.place("rezekne").name == "Rēzekne"
    assert theatre.place("DAUGAVPILS").population > 100_000
    with pytest.raises(NotFoundError):
        theatre.place("Atlantis")
    kinds = {a.kind for a in theatre.assets}
    assert {"town", "infrastructure", "military"} <= kinds
    assert all(a.value_eur > 0 and a.source for a in theatre.assets)


def test_spatial_queries(theatre: Theatre) -> None:
    codes = theatre.country_at([56.51, 56.75, 55.6, 57.9], [27.34, 28.75, 28.0, 26.0])
    assert list(codes) == ["LV", "RU", "BY", "EE"]
    assert bool(theatre.in_home(56.51, 27.34)[0])
    d = theatre.distance_to_border_m(56.51, 27.34)  # Rēzekne is ~50 km from the Russian border
    assert 30_000 < float(d[0]) < 70_000
    h = theatre.ground_height_m([56.5], [27.3])
    assert 0 < float(h[0]) < 400


def test_network_near_border(theatre: Theatre) -> None:
    road = theatre.network_km_near_border(theatre.roads, within_km=50)
    rail = theatre.network_km_near_border(theatre.railways, within_km=50)
    assert 100 < road < 1450 and 100 < rail < 2990


def test_bad_feature_is_counted_not_fatal(theatre: Theatre) -> None:
    # the shipped NE roads contain one empty geometry: rejected, counted, the rest kept
    assert sum(theatre.rejected.values()) >= 1
    assert len(theatre.roads) > 80


def _copy_theatre(tmp_path: Path) -> Path:
    src = resolve_theatre_dir("latvia-east")
    dst = tmp_path / "th"
    shutil.copytree(src, dst)
    return dst


def test_any_folder_loads_the_same_way(tmp_path: Path) -> None:
    """A theatre is a folder: a copy with a renamed theatre and a small edit loads from its path."""
    dst = _copy_theatre(tmp_path)
    y = (dst / "theatre.yaml").read_text(encoding="utf-8").replace("name: latvia-east", "name: my-border", 1)
    (dst / "theatre.yaml").write_text(y, encoding="utf-8")
    places = json.loads((dst / "places_geonames.geojson").read_text(encoding="utf-8"))
    places["features"].append({"type": "Feature", "properties": {"name": "Bad"}, "geometry": None})
    (dst / "places_geonames.geojson").write_text(json.dumps(places), encoding="utf-8")
    th = load_theatre(dst)
    assert th.name == "my-border"
    assert any("places_geonames.geojson" in k for k in th.rejected)


def test_broken_theatre_yaml_names_the_field(tmp_path: Path) -> None:
    dst = _copy_theatre(tmp_path)
    y = (dst / "theatre.yaml").read_text(encoding="utf-8").replace("match: LVA-BLR", "match: LVA-XXX")
    (dst / "theatre.yaml").write_text(y, encoding="utf-8")
    with pytest.raises(InputError, match=r"borders\.segments\[1\]\.match"):
        load_theatre(dst)


def test_unknown_theatre() -> None:
    with pytest.raises(NotFoundError, match="no theatre"):
        load_theatre("atlantis")


def test_osm_railways_and_map_only_fallback(theatre: Theatre) -> None:
    """The rail layer is OpenStreetMap's (exact topology, no trams); the Natural Earth fallback lies outside it."""
    import shapely

    assert theatre.railways_extent is not None and theatre.railways_fallback
    assert all(r.topology == "exact" and r.cls != "tram" for r in theatre.railways)
    assert "OpenStreetMap" in theatre.layer_sources["rail"]
    box = shapely.box(*theatre.railways_extent)
    for r in theatre.railways_fallback:
        assert shapely.intersection(r.geometry, box).length < 1e-9
    assert "railways_osm_latgale_2023-11.geojson" in theatre.attribution
