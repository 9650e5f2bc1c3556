from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import pytest
import yaml

from borderwatch.crossings.sections import Sections, chained_line_xy, load_sections
from borderwatch.errors import InputError


def test_shipped_sections_split_each_watched_line_into_15_to_25_km(secs: Sections) -> None:
    th = secs.theatre
    for seg in th.watched_segments:
        own = sorted((s for s in secs.sections if s.segment == seg.id), key=lambda s: s.from_km)
        assert own, seg.id
        assert own[0].from_km == 0.0
        assert own[-1].to_km == pytest.approx(chained_line_xy(th, seg.id).length / 1000.0, abs=0.05)
        for a, b in itertools.pairwise(own):
            assert a.to_km == pytest.approx(b.from_km)  # no gap, no overlap
    for s in secs.sections:
        assert 15.0 <= s.length_km <= 25.0
        assert "assumption" in s.source
        assert s.unit


def test_chained_line_is_at_least_the_shipped_length_and_starts_in_the_north(secs: Sections) -> None:
    th = secs.theatre
    for seg in th.watched_segments:
        chain = chained_line_xy(th, seg.id)
        # bridged gaps only add length; a detour back over the line would add much more than the gaps
        assert seg.length_km <= chain.length / 1000.0 <= seg.length_km * 1.1
        assert chain.coords[0][1] >= chain.coords[-1][1]


def test_nearest_section_of_a_crossing_point(secs: Sections) -> None:
    cp = next(c for c in secs.theatre.crossings if c.name.startswith("Pāternieki"))
    assert cp.lat is not None and cp.lon is not None
    s, d = secs.nearest(cp.lat, cp.lon)
    assert s.segment == "LV-BY" and d < 3.0
    with pytest.raises(InputError, match="from the nearest section"):
        secs.nearest(56.95, 24.1)  # Riga


def _write(tmp_path: Path, sections: list[dict[str, object]]) -> Path:
    p = tmp_path / "sections.yaml"
    p.write_text(yaml.safe_dump({"theatre": "latvia-east", "sections": sections}), encoding="utf-8")
    return p


def test_user_sections_file_and_its_errors(secs: Sections, tmp_path: Path) -> None:
    one = {"id": "A", "name": "a", "segment": "LV-BY", "from_km": 0, "to_km": 30, "unit": "u", "source": "assumption"}
    got = load_sections(secs.theatre, _write(tmp_path, [one]))
    assert got.ids == ["A"] and got.sections[0].length_km == 30
    with pytest.raises(InputError, match="unknown border segment"):
        load_sections(secs.theatre, _write(tmp_path, [{**one, "segment": "XX"}]))
    with pytest.raises(InputError, match="overlap"):
        load_sections(secs.theatre, _write(tmp_path, [one, {**one, "id": "B", "from_km": 20, "to_km": 40}]))
    with pytest.raises(InputError, match="to_km"):
        load_sections(secs.theatre, _write(tmp_path, [{**one, "from_km": 10, "to_km": 5}]))


def test_theatre_without_sections_file_gets_an_even_split(secs: Sections, tmp_path: Path) -> None:
    other = dataclasses.replace(secs.theatre, name="elsewhere", root=tmp_path)
    got = load_sections(other)
    assert got.notes and "even split" in got.notes[0]
    assert {s.segment for s in got.sections} == {s.id for s in other.watched_segments}
