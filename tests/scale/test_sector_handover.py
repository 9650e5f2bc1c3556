"""Sectors YAML, ownership, the hand-over of track identity between sector engines, and the merged picture."""

from __future__ import annotations

from typing import Any

import pytest

from borderwatch.errors import InputError
from borderwatch.scale.merge import merge_pictures
from borderwatch.scale.sector_engine import SectorEngine
from borderwatch.scale.sectors import Sectors

SECTORS = {
    "overlap_m": 10_000,
    "gate_m": 2000,
    "sectors": [
        {"name": "north", "polygon": [[26.0, 56.5], [29.0, 56.5], [29.0, 57.5], [26.0, 57.5]]},
        {"name": "south", "polygon": [[26.0, 55.5], [29.0, 55.5], [29.0, 56.5], [26.0, 56.5]]},
    ],
}


def test_shipped_sectors_tile_and_assign_sensors() -> None:
    s = Sectors.load()
    assert s.names == ["north", "south"]
    assert s.owner(57.0, 27.5) == "north" and s.owner(56.0, 27.5) == "south"
    assert s.in_overlap("north", 56.50, 27.5) and not s.in_overlap("north", 57.2, 27.5)


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"overlap_m": -1}, "overlap_m"),
        ({"sectors": []}, "sectors"),
        ({"sectors": [{"name": "A b", "polygon": [[0, 0], [1, 0], [1, 1]]}]}, "sectors[0]"),
        ({"sectors": [{"name": "a", "polygon": [[0, 0], [1, 0]]}]}, "sectors[0]"),
        ({"gate_m": 0}, "gate_m"),
    ],
)
def test_bad_sectors_are_rejected_naming_the_field(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(InputError) as e:
        Sectors.from_dict({**SECTORS, **patch})
    assert field in str(e.value)


def test_overlapping_cores_are_rejected() -> None:
    d = {**SECTORS, "sectors": [SECTORS["sectors"][0], {**SECTORS["sectors"][0], "name": "other"}]}
    with pytest.raises(InputError, match="overlap"):
        Sectors.from_dict(d)


def _track(k: str, t: float, lat: float, lon: float, vn: float = -50.0) -> dict[str, Any]:
    return {"t": t, "kind": "track", "id": k, "data": {"t": t, "track": k, "lat": lat, "lon": lon,
                                                         "alt_m": 100.0, "vel_enu_mps": [0.0, vn, 0.0]}}  # fmt: skip


def _publish(eng: SectorEngine) -> dict[str, Any]:
    """What the engine's snapshot carries for its neighbours (the ``sector`` part of its picture)."""
    return {
        "name": eng.sector,
        "tracks": [
            {"gid": eng.gid[k], **{f: tr[f] for f in ("t", "lat", "lon", "vel_enu_mps")}}
            for k, tr in eng.tracks.items()
            if k in eng.gid
        ],
    }


@pytest.mark.parametrize("speed", [20.0, 50.0, 90.0])
def test_a_drone_flying_south_keeps_its_id_across_the_seam(speed: float) -> None:
    sectors = Sectors.from_dict(SECTORS)
    north = SectorEngine(None, sectors, "north")
    south = SectorEngine(None, sectors, "south")
    shown_ids: list[str] = []
    lat = 56.9
    t = 0.0
    while lat > 56.1:
        t += 1.0
        lat -= speed / 110_574.0
        out_n = north.translate([_track("T1", t, lat, 27.5, -speed)]) if north.sectors.hears("north", lat, 27.5) else []
        out_s = south.translate([_track("T7", t, lat, 27.5, -speed)]) if south.sectors.hears("south", lat, 27.5) else []
        north.observe("south", _publish(south)["tracks"])
        south.observe("north", _publish(north)["tracks"])
        ids = [d["id"] for d in out_n + out_s if d["kind"] == "track"]
        assert len(ids) <= 1  # one sector shows it
        shown_ids += ids
    assert set(shown_ids) == {"north-T1"}  # born in the north; the south took its id in the overlap
    assert south.adopted == 1


def test_a_track_only_one_engine_has_is_shown_by_it_wherever_it_is() -> None:
    sectors = Sectors.from_dict(SECTORS)
    south = SectorEngine(None, sectors, "south")
    south.observe("north", [])  # the north engine runs but has no such track (e.g. a long-range sensor)
    out = south.translate([_track("T3", 1.0, 57.2, 27.5)])  # deep in the north's core
    assert [d["id"] for d in out] == ["south-T3"]
    out = south.translate([{"t": 2.0, "kind": "track_dropped", "id": "T3", "data": {"track": "T3"}}])
    assert [(d["kind"], d["id"]) for d in out] == [("track_dropped", "south-T3")]


def test_merged_picture_is_one_track_per_gid_and_deterministic() -> None:
    a = {"t": 10.0, "tracks": [{"track": "north-T1", "t": 10.0, "lat": 56.5, "lon": 27.0}], "effectors": [{"id": "u"}]}
    b_tracks = [
        {"track": "north-T1", "t": 11.0, "lat": 56.49, "lon": 27.0},
        {"track": "south-T2", "t": 10.0, "lat": 56.0, "lon": 27.0},
    ]
    b = {"t": 10.0, "tracks": b_tracks, "effectors": []}
    m1 = merge_pictures({"north": a, "south": b})
    m2 = merge_pictures({"south": b, "north": a})
    assert m1 == m2
    assert [t["track"] for t in m1["tracks"]] == ["north-T1", "south-T2"]
    assert m1["tracks"][0]["t"] == 11.0  # the newer state of a gid shown by both for an instant
    assert m1["effectors"] == [{"id": "u"}]
