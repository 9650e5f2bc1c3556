"""Beast framing and Mode-S decoding, on a real capture, checked field by field against dump1090's own decode of
the same capture (tests/data/README.md) and against pyModeS (GPL-3.0, a development-only tool here)."""

from __future__ import annotations

import gzip
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.interop.beast import BeastClock, BeastReader
from borderwatch.interop.modes import FT, AdsbDecoder, crc24, me_fields
from borderwatch.sensors.reports import parse_report

DATA = Path(__file__).resolve().parents[1] / "data" / "adsb"
CAPTURE = DATA / "ulss7-beast-bin-utc--1522782148.136310917--.log"
T0 = 1522782148.136310917  # from the capture's file name (UTC of its first frame)


def _ref() -> dict[tuple[str, float], dict[str, object]]:
    out = {}
    with gzip.open(DATA / "ulss7-dump1090.jsonl.gz", "rt") as f:
        for line in f:
            d = json.loads(line)
            out[(d["hex"], round(d["time_us"], 2))] = d
    return out


@pytest.fixture(scope="module")
def decoded() -> tuple[list[object], list[dict[str, object] | None], AdsbDecoder, BeastReader]:
    data = CAPTURE.read_bytes()
    r = BeastReader()
    frames = []
    for i in range(0, len(data), 4096):  # in TCP-sized chunks: frames split across chunks must come out whole
        frames += r.feed(data[i : i + 4096])
    clock = BeastClock(T0)
    dec = AdsbDecoder(sensor="adsb-ulss7")
    reps = [dec.feed(f.msg, clock.time(f.mlat_ticks, 0.0)) if f.kind != "mode_ac" else None for f in frames]
    return frames, reps, dec, r


def test_framing_of_the_real_capture(decoded) -> None:  # type: ignore[no-untyped-def]
    frames, _, _, reader = decoded
    assert sum(reader.rejected.values()) == 0
    kinds = {k: sum(1 for f in frames if f.kind == k) for k in ("mode_ac", "mode_s_short", "mode_s_long")}
    assert kinds == {"mode_ac": 5026, "mode_s_short": 4942, "mode_s_long": 3986}
    # in one piece the same frames come out
    whole = BeastReader().feed(CAPTURE.read_bytes())
    assert [f.msg for f in whole] == [f.msg for f in frames]


def test_every_mode_s_frame_matches_dump1090(decoded) -> None:  # type: ignore[no-untyped-def]
    frames, _, _, _ = decoded
    ref = _ref()
    matched = 0
    for f in frames:
        if f.kind == "mode_ac":
            continue
        key = (f.msg.hex(), round(f.mlat_ticks / 12.0, 2))
        d = ref.get(key)
        if d is None:
            continue
        matched += 1
        assert round(f.rssi_dbfs, 1) == pytest.approx(d["rssi_dbfs"], abs=0.051), key
    # the capture holds every message twice (so does dump1090's decode); 6 frames dump1090 did not print
    assert (matched, len(ref)) == (8922, 4461)
    assert matched >= 0.99 * sum(1 for f in frames if f.kind != "mode_ac")


def test_positions_callsigns_velocities_match_dump1090(decoded) -> None:  # type: ignore[no-untyped-def]
    frames, reps, dec, _ = decoded
    ref = _ref()
    n_pos = n_none = n_id = n_vel = 0
    for f, rep in zip(frames, reps, strict=True):
        if f.kind != "mode_s_long":
            continue
        d = ref.get((f.msg.hex(), round(f.mlat_ticks / 12.0, 2)))
        if d is None or d.get("df") not in (17, 18):
            continue
        me = me_fields(f.msg)
        if d.get("cpr") == "global":
            n_pos += 1
            assert rep is not None, d
            assert rep["lat"] == pytest.approx(d["lat"], abs=0.51e-5)
            assert rep["lon"] == pytest.approx(d["lon"], abs=0.51e-5)
            assert me["alt_ft"] == d["alt_ft"]
            assert me["odd"] == d["cpr_odd"]
            parse_report(rep)  # the report contract
        elif d.get("cpr") == "none":
            n_none += 1
            assert rep is None
        if "callsign" in d and me["tc"] <= 4:
            n_id += 1
            assert me["callsign"] == d["callsign"]
        if "speed_kt" in d:
            n_vel += 1
            ve, vn = me["vel_kt"]
            assert int(math.hypot(ve, vn)) == d["speed_kt"]  # dump1090 truncates
            hdg = math.degrees(math.atan2(ve, vn)) % 360.0
            assert abs((hdg - d["heading_deg"] + 180) % 360 - 180) <= 1.5  # dump1090 quantises its heading
            assert me["vrate_fpm"] == d["vrate_fpm"]
        if "gnss_delta_ft" in d and "gnss_minus_baro_m" in me:
            assert me["gnss_minus_baro_m"] / FT == pytest.approx(d["gnss_delta_ft"])
    assert (n_pos, n_none) == (1456, 42)
    assert n_id >= 100 and n_vel == 1492
    assert dec.decoded["position"] == 1456
    assert sum(dec.rejected.values()) == 0


def test_times_follow_the_mlat_counter(decoded) -> None:  # type: ignore[no-untyped-def]
    frames, reps, _, _ = decoded
    ref = _ref()
    import calendar

    for f, rep in zip(frames, reps, strict=True):
        if rep is None:
            continue
        d = ref[(f.msg.hex(), round(f.mlat_ticks / 12.0, 2))]
        date, tod = str(d["utc"]).split(" ")
        y, mo, dd = (int(x) for x in date.split("/"))
        hh, mm, ss = tod.split(":")
        t = calendar.timegm((y, mo, dd, int(hh), int(mm), 0)) + float(ss)
        assert rep["t"] == pytest.approx(t, abs=0.0011)


def test_positions_match_pymodes(decoded) -> None:  # type: ignore[no-untyped-def]
    pms = pytest.importorskip("pyModeS", reason="pyModeS (GPL-3.0) is a development-only check")
    frames, reps, _, _ = decoded
    clock = BeastClock(T0)
    pipe = pms.PipeDecoder()
    compared = 0
    for f, rep in zip(frames, reps, strict=True):
        if f.kind == "mode_ac":
            continue
        t = clock.time(f.mlat_ticks, 0.0)
        out = pipe.decode(f.msg.hex(), timestamp=t)
        if out.get("latitude") is not None and out.get("df") == 17:
            assert rep is not None
            assert rep["lat"] == pytest.approx(out["latitude"], abs=1e-5)
            assert rep["lon"] == pytest.approx(out["longitude"], abs=1e-5)
            compared += 1
        if out.get("callsign") and out.get("df") == 17:
            assert me_fields(f.msg)["callsign"] == out["callsign"].strip("_ ")
    assert compared > 1000


def test_escaped_bytes_and_bad_frames_are_counted_and_the_stream_goes_on() -> None:
    good = bytes.fromhex("1a33" + "00000000001a1a" + "1a1a" + "8d40621d58c382d690c8ac2863a7")
    r = BeastReader()
    out = r.feed(b"\x00\x01garbage" + good + b"\x1a\x39xx" + good[:6] + good + b"\x1a\x1a" + good)
    assert [f.msg.hex() for f in out] == ["8d40621d58c382d690c8ac2863a7"] * 3
    assert out[0].mlat_ticks == 0x1A and out[0].signal == 0x1A
    assert r.rejected["garbage: bytes outside a frame"] == 2
    assert r.rejected["type: unknown frame type 0x39"] == 1
    assert r.rejected["frame: cut short by a new frame start"] == 1


def test_bad_crc_is_rejected() -> None:
    msg = bytearray.fromhex("8d40621d58c382d690c8ac2863a7")
    msg[5] ^= 0x10
    assert crc24(bytes(msg)) != 0
    dec = AdsbDecoder(sensor="a")
    assert dec.feed(bytes(msg), 0.0) is None
    assert dec.rejected == {"crc: mismatch": 1}
    assert dec.feed(b"\x8d\x00", 0.0) is None
    assert dec.rejected["frame: length 2 (7 or 14 bytes)"] == 1


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=64), max_size=20), st.data())
def test_any_bytes_never_break_the_reader(chunks: list[bytes], data: st.DataObject) -> None:
    r = BeastReader()
    dec = AdsbDecoder(sensor="a", ref=(56.5, 27.3))
    good = bytes.fromhex("1a3300000000000180" + "8d40621d58c382d690c8ac2863a7")
    for c in chunks:
        for f in r.feed(c):
            assert f.kind in ("mode_ac", "mode_s_short", "mode_s_long")
            rep = dec.feed(f.msg, data.draw(st.floats(0, 4e9)))
            if rep is not None:
                parse_report(rep)
    # after any garbage, a good frame (after a byte that ends whatever was pending) still comes out
    out = r.feed(b"\x00" * 60 + good)
    assert out and out[-1].msg == good[9:]
