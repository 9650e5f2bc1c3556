"""``borderwatch interop decode | encode`` and the UDP endpoints (unicast and multicast on the loopback)."""

from __future__ import annotations

import json
import math
import socket
from pathlib import Path

import pytest
from typer.testing import CliRunner

from borderwatch.cli import app
from borderwatch.interop import asterix as A

DATA = Path(__file__).resolve().parents[1] / "data" / "asterix"


def test_decode_json_and_reports(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["interop", "decode", str(DATA / "cat_034_048.pcap"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["stats"]["decoded"] == {"plot": 128, "sector": 32, "north_marker": 2}
    assert doc["stats"]["rejected_total"] == 0 and doc["stats"]["container"] == "pcap"
    plot = doc["records"][0]
    assert plot["mode_s"] == "3c660c" and plot["callsign"] == "DLH65A" and plot["mode3a"] == "1000"
    assert plot["t"] % 86400 == pytest.approx(27354.6015625, abs=1e-3)
    sensors = tmp_path / "sensors.json"
    site = {"id": "r-201", "type": "radar", "lat": 45.8, "lon": 16.0, "alt_m": 200.0, "sac": 25, "sic": 201}
    sensors.write_text(json.dumps({"sensors": [site]}))
    out = tmp_path / "reports.jsonl"
    r = CliRunner().invoke(app, ["interop", "decode", str(DATA / "cat_034_048.pcap"), "--sensors", str(sensors),
                                 "--json", "-o", str(out)])  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    reps = [json.loads(x) for x in out.read_text().splitlines()]
    assert reps == doc["records"] and reps and all(x["sensor"] == "r-201" for x in reps)
    assert any(k.startswith("sensor: no sensors.json entry for SAC/SIC 25/13") for k in doc["stats"]["rejected"])
    from borderwatch.sensors.reports import parse_report

    for x in reps:
        parse_report(x)  # every report passes the contract's checks


def test_decode_errors_exit_2(tmp_path: Path) -> None:
    r = CliRunner().invoke(app, ["interop", "decode", str(tmp_path / "nope.pcap")])
    assert r.exit_code == 2 and "file not found" in r.output
    r = CliRunner().invoke(app, ["interop", "decode", str(DATA / "cat21_re.ast"), "--format", "klingon"])
    assert r.exit_code == 2 and "unknown format" in r.output


def test_encode_tracks_to_pcap_and_back(tmp_path: Path) -> None:
    tracks = tmp_path / "tracks.jsonl"
    lines = [{"t": 1.77e9 + i, "track": f"T{i % 3:06d}", "lat": 56.6 + 0.01 * i, "lon": 27.5, "alt_m": 300.0,
              "vel_enu_mps": [10.0, 20.0, 0.0], "status": "confirmed", "sensors": ["r"], "cooperative": False}
             for i in range(9)]  # fmt: skip
    tracks.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "t.pcap"
    r = CliRunner().invoke(app, ["interop", "encode", str(tracks), "-o", str(out), "--sac", "3", "--sic", "4"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["interop", "decode", str(out), "--json"])
    doc = json.loads(r.stdout)
    assert [x["track_number"] for x in doc["records"]] == [i % 3 for i in range(9)]
    assert all((x["sac"], x["sic"]) == (3, 4) for x in doc["records"])
    for x, want in zip(doc["records"], lines, strict=True):
        assert abs(x["lat"] - want["lat"]) < 1e-5


def test_elevation_matches_the_radar_model() -> None:
    import numpy as np

    from borderwatch.sensors.radar import apparent_elevation_rad

    for r, h in ((5000.0, 300.0), (60000.0, 2500.0), (800.0, 600.0)):
        dh = h - 150.0
        d = math.sqrt(r * r - dh * dh)
        assert A.elevation_deg(r, h, 150.0) == pytest.approx(float(np.degrees(apparent_elevation_rad(d, dh))))


def test_endpoints_and_multicast_receive() -> None:
    from borderwatch.errors import InputError
    from borderwatch.interop.asterix_encode import cat034_north_marker
    from borderwatch.interop.udp import Endpoint, open_receiver, parse_endpoint

    assert parse_endpoint("8600", what="x") == Endpoint("0.0.0.0", 8600)
    assert parse_endpoint("127.0.0.1:18340@239.255.18.4", what="x") == Endpoint("127.0.0.1", 18340, "239.255.18.4")
    for bad in ("x:y", "70000", "1@10.0.0.1", "1@notanip"):
        with pytest.raises(InputError):
            parse_endpoint(bad, what="--asterix-udp")
    ep = parse_endpoint("127.0.0.1:18341@239.255.18.5", what="x")
    rx = open_receiver(ep)
    rx.setblocking(True)
    rx.settimeout(5)
    tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    tx.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    tx.sendto(cat034_north_marker(9, 8, 1000.0), ("239.255.18.5", 18341))
    data = rx.recv(65535)
    rx.close()
    tx.close()
    rec = A.decode_bytes(data)
    assert rec[0]["kind"] == "north_marker" and (rec[0]["sac"], rec[0]["sic"]) == (9, 8)
