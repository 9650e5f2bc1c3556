"""``borderwatch adsb decode`` and ``borderwatch cot encode|decode`` on real and written files."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app

DATA = Path(__file__).resolve().parents[1] / "data" / "adsb"
CAPTURE = DATA / "ulss7-beast-bin-utc--1522782148.136310917--.log"


def test_adsb_decode_beast_and_sbs_give_the_same_positions(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["adsb", "decode", str(CAPTURE), "-o",
                                 str(tmp_path / "b.jsonl"), "--sensor", "adsb-x", "--json"])  # fmt: skip
    assert r.exit_code == 0, r.output
    beast = [json.loads(x) for x in (tmp_path / "b.jsonl").read_text().splitlines()]
    r = CliRunner().invoke(app, ["adsb", "decode", str(DATA / "ulss7-sbs.txt.gz"), "-o", str(tmp_path / "s.jsonl")])
    assert r.exit_code == 0, r.output
    sbs = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(beast) == len(sbs) == 1456
    assert beast[0]["sensor"] == "adsb-x" and beast[0]["t"] == pytest.approx(1522782148.952, abs=0.002)
    # the file name gives t0; SBS (dump1090) rounds positions to 5 decimals
    bs = sorted(beast, key=lambda r: (r["icao"], r["t"]))
    ss = sorted(sbs, key=lambda r: (r["icao"], r["t"]))
    for b, s in zip(bs, ss, strict=True):
        assert b["icao"] == s["icao"] and b["t"] == pytest.approx(s["t"], abs=0.0011)
        assert b["lat"] == pytest.approx(s["lat"], abs=0.51e-5) and b["lon"] == pytest.approx(s["lon"], abs=0.51e-5)


def test_adsb_decode_with_pymodes(tmp_path: Path) -> None:
    pytest.importorskip("pyModeS", reason="the optional extra borderwatch[modes]")
    r = CliRunner().invoke(app, ["adsb", "decode", str(CAPTURE), "--decoder", "pymodes",
                                 "-o", str(tmp_path / "p.jsonl")])  # fmt: skip
    assert r.exit_code == 0, r.output
    n = len((tmp_path / "p.jsonl").read_text().splitlines())
    assert 1000 < n <= 1456


def test_adsb_decode_garbage_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(range(256)) * 10)
    r = CliRunner().invoke(app, ["adsb", "decode", str(bad), "--format", "beast"])
    assert r.exit_code == 2 and "no report decoded" in r.output
    r = CliRunner().invoke(app, ["adsb", "decode", str(tmp_path / "missing.bin")])
    assert r.exit_code == 2 and "file not found" in r.output


def test_cot_encode_decode_a_run(tmp_path: Path) -> None:
    run = tmp_path / "run"
    run.mkdir()
    tr = {"t": 1767225600.0, "track": "T000001", "lat": 56.5, "lon": 28.0, "alt_m": 300.0,
          "vel_enu_mps": [-40.0, 0.0, 0.0], "cov_pos_enu_m2": [[400, 0, 0], [0, 400, 0], [0, 0, 900]],
          "class": {"quadcopter": 0.7, "fpv": 0.3}, "sensors": ["ac-1", "ac-2"]}  # fmt: skip
    (run / "tracks.jsonl").write_text(json.dumps(tr) + "\n" + json.dumps({**tr, "t": 1767225601.0}) + "\n")
    (run / "assessments.jsonl").write_text(json.dumps({"t": 1767225600.5, "track": "T000001", "identity": "hostile",
                                                       "class": "quadcopter"}) + "\n")  # fmt: skip
    r = CliRunner().invoke(app, ["cot", "encode", str(run), "-o", str(tmp_path / "ev.xml")])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["cot", "decode", str(tmp_path / "ev.xml")])
    assert r.exit_code == 0
    evs = [json.loads(x) for x in r.stdout.splitlines() if x.startswith("{")]
    assert [e["type"] for e in evs] == ["a-p-A-M-H-Q", "a-h-A-M-H-Q"]  # assessed only from its time on
    r = CliRunner().invoke(app, ["cot", "encode", str(run), "-o", str(tmp_path / "ev.bin"), "--last"])
    assert r.exit_code == 0 and (tmp_path / "ev.bin").read_bytes()[:1] == b"\xbf"
    shutil.rmtree(run)
