from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.errors import InputError
from borderwatch.sensors.layout import build_layout, load_layout_cfg

runner = CliRunner()


@pytest.fixture(scope="module")
def default_layout(theatre):  # type: ignore[no-untyped-def]
    cfg, _ = load_layout_cfg(None)
    return build_layout(cfg, theatre)


def test_default_layout_lines_radars_and_receivers(default_layout, theatre) -> None:  # type: ignore[no-untyped-def]
    lay = default_layout
    first = np.array([i.startswith("ac-l0-") for i in lay.acoustic_ids])
    assert first.sum() > 300  # ~1 km spacing along ~440 km of watched border
    assert (~first).sum() > 100
    d = theatre.distance_to_border_m(lay.acoustic_lat, lay.acoustic_lon)
    assert np.median(d[first]) == pytest.approx(500.0, abs=50.0)
    assert np.median(d[~first]) == pytest.approx(10_000.0, abs=500.0)
    assert theatre.in_home(lay.acoustic_lat, lay.acoustic_lon).all()
    assert 3 <= len(lay.radars) <= 4 and len(lay.adsb) >= 1
    assert len({s.id for s in lay.sites}) == len(lay.sites)


def _write(tmp_path: Path, body: str) -> Path:
    p = tmp_path / "layout.yaml"
    p.write_text(body, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (
            "name: x\nacoustic_lines: [{offset_km: 0.5, spacing_km: -1}]\n",
            "acoustic_lines[0].spacing_km",
            "greater than 0",
        ),
        ("name: x\nsensors: [{id: s1, type: sonar, lat: 56.5, lon: 27.0}]\n", "sensors[0].type", "acoustic"),
        ("name: x\narray: {ring_mics: 1}\n", "array.ring_mics", "greater than or equal to 2"),
        ("name: x\narray: {ring_mics: 2, centre_height_m: null}\n", "array", "at least 3 microphones"),
        (
            "name: x\nsensors: [{id: r, type: radar, model: nope, lat: 56.5, lon: 27.0}]\n",
            "sensors[0].model",
            "unknown radar",
        ),
    ],
)
def test_bad_layouts_name_the_field(tmp_path: Path, body: str, field: str, words: str) -> None:
    p = _write(tmp_path, body)
    with pytest.raises(InputError) as ei:
        load_layout_cfg(p)
    assert field in str(ei.value) and words in str(ei.value)
    res = runner.invoke(app, ["layout", "show", str(p)])
    assert res.exit_code == 2
    assert field in res.stderr and "Traceback" not in res.stderr


def test_layout_show_writes_sensors_json(tmp_path: Path) -> None:
    from borderwatch.sensors.reports import read_sensors

    out = tmp_path / "sensors.json"
    res = runner.invoke(app, ["layout", "show", "-o", str(out)])
    assert res.exit_code == 0, res.output
    sites, rejected = read_sensors(out)
    assert not rejected and {s.type for s in sites} == {"acoustic", "radar", "adsb"}
