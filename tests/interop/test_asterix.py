"""ASTERIX decoding of real captures checked field by field against Wireshark's dissector (tshark); our CAT062
checked in tshark; bad input counted, never fatal."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from tshark_ref import dissect, num, val

from borderwatch.interop import asterix as A
from borderwatch.interop.asterix_encode import Cat062Encoder
from borderwatch.interop.pcap import read_datagrams, write_pcap

DATA = Path(__file__).resolve().parents[1] / "data" / "asterix"
NM = 1852.0


def _ours(path: Path) -> list[list[dict[str, Any]]]:
    return [A.decode_bytes(d, A.DecodeStats()) for _, d in read_datagrams(path)]


def _close(a: float | None, b: float | None, tol: float, what: str) -> None:
    assert (a is None) == (b is None), f"{what}: ours {a} tshark {b}"
    if a is not None and b is not None:
        assert abs(a - b) <= tol, f"{what}: ours {a} tshark {b}"


def test_cat048_cat034_real_capture_matches_tshark() -> None:
    path = DATA / "cat_034_048.pcap"
    ours, ref = _ours(path), dissect(path)
    assert len(ours) == len(ref) == 100
    n048 = n034 = n_fl_signed = 0
    for mine, theirs in zip(ours, ref, strict=True):
        theirs = [(c, m) for c, m in theirs if c in (48, 34)]
        assert len(mine) == len(theirs)
        for o, (cat, t) in zip(mine, theirs, strict=True):
            assert o["cat"] == cat
            if cat == 48:
                n048 += 1
                assert (o.get("sac"), o.get("sic")) == (num(val(t, "010", "SAC")), num(val(t, "010", "SIC")))
                _close(o.get("tod_s"), num(val(t, "140")), 1e-9, "I048/140")
                rho = num(val(t, "040", "RHO"))
                _close(o.get("range_m"), None if rho is None else rho * NM, 1e-6, "I048/040 RHO")
                _close(o.get("az_deg"), num(val(t, "040", "THETA")), 1e-9, "I048/040 THETA")
                m3a = val(t, "070", "MODE3A")
                assert o.get("mode3a") == (None if m3a is None else f"{int(m3a):04o}")
                fl = num(val(t, "090", "FL"))
                if fl is not None and fl >= 2048:  # tshark 4.0 reads this 14-bit two's-complement field unsigned
                    fl -= 4096
                    n_fl_signed += 1
                _close(o.get("fl"), fl, 1e-9, "I048/090")
                addr = val(t, "220")
                assert o.get("mode_s") == (None if addr is None else f"{int(addr, 16):06x}")
                cs = val(t, "240")
                assert o.get("callsign") == (None if cs is None else cs.strip())
                _close(o.get("track_number"), num(val(t, "161", "TRN")), 0, "I048/161")
                gsp = num(val(t, "200", "GSP"))
                _close(o.get("ground_speed_mps"), None if gsp is None else gsp * NM, 1e-6, "I048/200 GSP")
                _close(o.get("heading_deg"), num(val(t, "200", "HDG")), 1e-9, "I048/200 HDG")
                h = num(val(t, "110", "3DH"))
                _close(o.get("height_3d_m"), None if h is None else h * 0.3048, 1e-6, "I048/110")
                assert o["typ"] == int(val(t, "020", "TYP"))
            else:
                n034 += 1
                assert o["message_type"] == int(val(t, "000", cat=34))
                assert (o["sac"], o["sic"]) == (num(val(t, "010", "SAC", 34)), num(val(t, "010", "SIC", 34)))
                _close(o.get("tod_s"), num(val(t, "030", cat=34)), 1e-9, "I034/030")
                _close(o.get("sector_az_deg"), num(val(t, "020", cat=34)), 1e-9, "I034/020")
    assert n048 == 128 and n034 == 34
    assert n_fl_signed == 2  # the plots with a negative flight level (-1 FL; each radar feed is captured twice)


def test_cat021_real_recording_matches_tshark(tmp_path: Path) -> None:
    raw = (DATA / "cat21_re.ast").read_bytes()
    st = A.DecodeStats()
    ours = A.decode_bytes(raw, st)
    assert st.rejected_total == 0 and len(ours) == 2
    pcap = tmp_path / "cat21.pcap"
    write_pcap(pcap, [(1.0e9, raw)])
    theirs = dissect(pcap)[0]
    assert len(theirs) == 2
    for o, (cat, t) in zip(ours, theirs, strict=True):
        assert cat == 21 and o["kind"] == "adsb"
        assert (o["sac"], o["sic"]) == (num(val(t, "010", "SAC", 21)), num(val(t, "010", "SIC", 21)))
        assert o["icao"] == f"{int(val(t, '080', cat=21), 16):06x}"
        _close(o["lat"], num(val(t, "130", "LAT", 21)), 1e-9, "I021/130 LAT")
        _close(o["lon"], num(val(t, "130", "LON", 21)), 1e-9, "I021/130 LON")
        _close(o["tod_s"], num(val(t, "073", cat=21)), 1e-9, "I021/073")


def test_cat062_real_capture_matches_tshark() -> None:
    path = DATA / "cat_062_065.pcap"
    st = A.DecodeStats()
    ours = [r for _, d in read_datagrams(path) for r in A.decode_bytes(d, st)]
    assert st.rejected == Counter({"CAT065: category not decoded": 1})
    theirs = [m for c, m in dissect(path)[0] if c == 62]
    assert len(ours) == len(theirs) == 2
    for o, t in zip(ours, theirs, strict=True):
        assert o["track_number"] == int(val(t, "040", cat=62), 16)
        _close(o["tod_s"], num(val(t, "070", cat=62)), 1e-9, "I062/070")
        for key, item, sub in (("lat", "105", "LAT"), ("lon", "105", "LON"), ("x_m", "100", "X"),
                               ("y_m", "100", "Y"), ("vx_mps", "185", "VX"), ("vy_mps", "185", "VY")):  # fmt: skip
            _close(o[key], num(val(t, item, sub, 62)), 1e-9, f"I062/{item} {sub}")
        assert o["mode3a"] == f"{int(val(t, '060', 'MODE3A', 62)):04o}"
        adr = t["asterix.062_380"]["asterix.062_380_ADR"]["asterix.062_380_ADR_VALUE"]
        assert o["mode_s"] == f"{int(adr, 16):06x}"
        assert o["callsign"] == t["asterix.062_380"]["asterix.062_380_ID"]["asterix.062_380_ID_VALUE"].strip()
        assert o["status_mon"] == int(val(t, "080", "MON", 62))


def _tracks(seed: int, n: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cov = rng.uniform(10, 5000, 3)
        cxy = float(rng.uniform(-0.9, 0.9) * math.sqrt(cov[0] * cov[1]))
        tr: dict[str, Any] = {
            "t": 1.7e9 + float(rng.uniform(0, 86400)),
            "track": f"T{rng.integers(0, 99999):06d}",
            "lat": float(rng.uniform(55.5, 58.0)),
            "lon": float(rng.uniform(26.0, 28.5)),
            "alt_m": float(rng.uniform(50, 9000)),
            "vel_enu_mps": [float(x) for x in rng.uniform(-250, 250, 2)] + [float(rng.uniform(-20, 20))],
            "cov_pos_enu_m2": [[float(cov[0]), cxy, 0.0], [cxy, float(cov[1]), 0.0], [0.0, 0.0, float(cov[2])]],
            "status": "coasting" if i % 3 == 0 else "confirmed",
            "sensors": ["r-1"] if i % 2 else ["r-1", "ac-1"],
            "cooperative": i % 4 == 0,
        }
        if tr["cooperative"]:
            tr["icao"] = f"{int(rng.integers(0, 2**24)):06x}"
            tr["callsign"] = f"YL{int(rng.integers(0, 9999)):04d}"
        out.append(tr)
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_our_cat062_decodes_in_tshark_with_the_values_we_wrote(tmp_path: Path, seed: int) -> None:
    ref = (56.9, 27.2)
    enc = Cat062Encoder(sac=12, sic=34, ref=ref)
    tracks = _tracks(seed, 40)
    grams = enc.datagrams(tracks)
    pcap = tmp_path / "ours.pcap"
    write_pcap(pcap, [(1.7e9, g) for g in grams])
    theirs = [m for fr in dissect(pcap) for c, m in fr if c == 62]
    assert len(theirs) == len(tracks)
    from borderwatch.geo.frames import LocalFrame

    frame = LocalFrame(ref[0], ref[1], 0.0)
    for tr, t in zip(tracks, theirs, strict=True):
        assert (num(val(t, "010", "SAC", 62)), num(val(t, "010", "SIC", 62))) == (12, 34)
        _close(num(val(t, "070", cat=62)), tr["t"] % 86400, 1 / 256, "I062/070")
        _close(num(val(t, "105", "LAT", 62)), tr["lat"], 180 / 2**25 / 2, "I062/105 LAT")
        _close(num(val(t, "105", "LON", 62)), tr["lon"], 180 / 2**25 / 2, "I062/105 LON")
        e, n, _ = frame.to_enu(tr["lat"], tr["lon"], tr["alt_m"])
        _close(num(val(t, "100", "X", 62)), float(e), 0.25, "I062/100 X")
        _close(num(val(t, "100", "Y", 62)), float(n), 0.25, "I062/100 Y")
        ve, vn, vu = tr["vel_enu_mps"]
        _close(num(val(t, "185", "VX", 62)), ve, 0.125, "I062/185 VX")
        _close(num(val(t, "185", "VY", 62)), vn, 0.125, "I062/185 VY")
        _close(num(val(t, "130", cat=62)), tr["alt_m"] / 0.3048, 6.25 / 2, "I062/130")
        _close(num(val(t, "220", cat=62)), vu / 0.3048 * 60, 6.25 / 2, "I062/220")
        assert int(val(t, "040", cat=62), 16) == int(tr["track"][1:]) % 65536
        assert int(val(t, "080", "MON", 62)) == (len(tr["sensors"]) == 1)
        assert int(val(t, "080", "CST", 62)) == (tr["status"] == "coasting")
        assert int(val(t, "080", "TSB", 62)) == 1
        assert int(val(t, "200", "VERT", 62)) == (1 if vu > 1 else 2 if vu < -1 else 0)
        acc = t["asterix.062_500"]
        cov = tr["cov_pos_enu_m2"]
        _close(num(acc["asterix.062_500_APC"]["asterix.062_500_APC_X"]), math.sqrt(cov[0][0]), 0.25, "APC X")
        _close(num(acc["asterix.062_500_APC"]["asterix.062_500_APC_Y"]), math.sqrt(cov[1][1]), 0.25, "APC Y")
        cxy = cov[0][1]
        _close(
            num(acc["asterix.062_500_COV"]["asterix.062_500_COV_VALUE"]),
            math.copysign(math.sqrt(abs(cxy)), cxy),
            0.25,
            "COV",
        )
        if tr["cooperative"]:
            adr = t["asterix.062_380"]["asterix.062_380_ADR"]["asterix.062_380_ADR_VALUE"]
            assert int(adr, 16) == int(tr["icao"], 16)
            assert t["asterix.062_380"]["asterix.062_380_ID"]["asterix.062_380_ID_VALUE"].strip() == tr["callsign"]
        else:
            assert "asterix.062_380" not in t
    # and our own CAT062 reader (libasterix) reads back the same
    back = [r for g in grams for r in A.decode_bytes(g)]
    assert [r["track_number"] for r in back] == [int(tr["track"][1:]) % 65536 for tr in tracks]


def test_mode_of_movement_follows_the_track() -> None:
    enc = Cat062Encoder()
    base = {"track": "T1", "lat": 57.0, "lon": 27.0, "alt_m": 100.0, "sensors": ["a"]}
    enc.record({**base, "t": 0.0, "vel_enu_mps": [0.0, 50.0, 0.0]})
    turn = enc.record({**base, "t": 1.0, "vel_enu_mps": [5.0, 60.0, 0.0]})  # +5.7 °/s right, +10 m/s²
    it = turn.get_item("200").variation
    assert it.get_item("TRANS").variation.content.as_uint() == 1
    assert it.get_item("LONG").variation.content.as_uint() == 1


# ------------------------------------------------------------------------------------------------ bad input


def _good048() -> bytes:
    from borderwatch.interop.asterix_encode import cat048_datablock, cat048_record

    site = A.RadarSite("r", 57.0, 27.0, 100.0)
    rep = {"t": 1000.0, "range_m": 20000.0, "az_deg": 10.0, "el_deg": 2.0, "rr_mps": 5.0}
    return cat048_datablock([cat048_record(rep, 1, 2, site), cat048_record(rep, 1, 2, site)])


def test_bad_input_is_counted_and_the_stream_goes_on() -> None:
    good = _good048()
    cases = {
        "truncated record": good[:3] + bytes([0xFF]) + good[4:],  # FSPEC claims items that are not there
        "wrong length field": bytes([48, 0xFF, 0xFF]) + good[3:],
        "endless FSPEC": bytes([48, 0, 3 + 40]) + b"\xff" * 40,
        "unknown category": bytes([7, 0, 6, 1, 2, 3]),
        "garbage": b"\x00\x01garbage\xfe\xfe\xfe",
        "length < 3": bytes([48, 0, 1]),
    }
    for name, bad in cases.items():
        st = A.DecodeStats()
        out = A.decode_bytes(bad + good, st)
        assert st.rejected_total >= 1, name
        assert [r["kind"] for r in out][-2:] == ["plot", "plot"], name  # the good block after it is decoded
    st = A.DecodeStats()
    A.decode_bytes(bytes([48, 0, 3 + 40]) + b"\xff" * 40, st)
    assert st.rejected == Counter({"CAT048: record: FSPEC longer than 4 bytes": 1})
    st = A.DecodeStats()
    A.decode_bytes(bytes([7, 0, 6, 1, 2, 3]) + good, st)
    assert st.rejected == Counter({"CAT007: category not decoded": 1})
    st = A.DecodeStats()
    A.decode_bytes(good[:-2], st)
    assert st.rejected == Counter({"datablock: length field exceeds the bytes left": 1, "garbage: bytes skipped": 1})
    st = A.DecodeStats()
    A.decode_bytes(good[:3] + bytes([0xFF]) + good[4:], st)
    assert next(iter(st.rejected)).startswith("CAT048: record: ")


def test_hypothesis_random_bytes_never_raise() -> None:
    from hypothesis import given, settings
    from hypothesis import strategies as hs

    good = _good048()

    @settings(max_examples=400, deadline=None)
    @given(hs.binary(max_size=300), hs.sampled_from([48, 34, 21, 62, 7]), hs.integers(0, 400))
    def run(junk: bytes, cat: int, ln: int) -> None:
        st = A.DecodeStats()
        block = bytes([cat, ln >> 8, ln & 0xFF]) + junk
        out = A.decode_bytes(block + good, st)
        for r in out:
            assert r["kind"] in ("plot", "north_marker", "sector", "adsb", "track", "service", "geo_filter", "jamming")
        # the good block at the end is found unless the junk block's length swallowed it
        if ln < 3 or ln > len(block) + len(good):
            assert sum(r["kind"] == "plot" for r in out) >= 2 or st.rejected_total > 0

    run()


def test_pcap_reader_counts_non_udp_and_reads_raw(tmp_path: Path) -> None:
    rej: Counter[str] = Counter()
    grams = list(read_datagrams(DATA / "cat_034_048.pcap", rej))
    assert len(grams) == 100 and not rej and all(t is not None for t, _ in grams)
    raw = list(read_datagrams(DATA / "cat21_re.ast"))
    assert len(raw) == 1 and raw[0][0] is None
    from borderwatch.errors import InputError

    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 5)
    with pytest.raises(InputError):
        list(read_datagrams(bad))
