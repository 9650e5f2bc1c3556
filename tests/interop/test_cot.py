"""Cursor-on-Target out (XML, TAK protobuf) and in (friendly board), and the TCP sink against a real server."""

from __future__ import annotations

import asyncio
import math
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from borderwatch.interop.cot import (
    CotError,
    CotSink,
    FriendlyBoard,
    alert_event,
    coast_limits,
    cot_type,
    parse_event,
    split_xml_stream,
    to_proto,
    to_xml,
    track_event,
)

COV = [[900.1, 12.0, 0.0], [12.0, 850.3, 0.0], [0.0, 0.0, 2500.0]]
TRACK = {"t": 1767225600.25, "track": "T000042", "lat": 56.6212345, "lon": 28.0412345, "alt_m": 321.5,
         "vel_enu_mps": [-48.1, -6.2, 0.1], "cov_pos_enu_m2": COV, "status": "confirmed",
         "class": {"shahed": 0.81, "stray_lr": 0.12, "geran3": 0.04}, "sensors": ["ac-017", "r-2"],
         "cooperative": False, "quality": 0.93}  # fmt: skip
ASSESS = {"t": 1767225600.25, "track": "T000042", "identity": "hostile", "class": "shahed", "score": 0.91,
          "crossing": {"t": 1767225900.0, "lat": 56.61, "lon": 27.95, "segment": "LV-RU-03", "sigma_m": 350.0,
                       "sigma_s": 20.0}}  # fmt: skip


@pytest.mark.parametrize(
    ("identity", "cls", "expected"),
    [
        ("hostile", "shahed", "a-h-A-M-F-Q"),
        ("hostile", "quadcopter", "a-h-A-M-H-Q"),
        ("suspect", "fpv", "a-s-A-M-H-Q"),
        ("unknown", "orlan10", "a-u-A-M-F-Q"),
        ("neutral", "light_aircraft", "a-n-A-C-F"),
        ("friend", "helicopter", "a-f-A-C-H"),
        ("neutral", "birds", "a-n-A"),
        (None, "no-such-class", "a-p-A"),
    ],
)
def test_type_from_identity_and_class(identity: str | None, cls: str, expected: str) -> None:
    assert cot_type(identity, cls) == expected


def test_track_event_fields_in_xml_and_protobuf() -> None:
    import takproto

    ev = track_event(TRACK, ASSESS)
    root = ET.fromstring(to_xml(ev))
    assert root.get("type") == "a-h-A-M-F-Q" and root.get("how") == "m-f" and root.get("uid") == "borderwatch.T000042"
    assert root.get("start") == "2026-01-01T00:00:00.250Z"
    assert root.get("stale") == "2026-01-01T00:00:%06.3fZ" % (0.25 + coast_limits()[0])
    pt = root.find("point")
    assert pt is not None
    assert float(pt.get("lat", "nan")) == pytest.approx(56.6212345) and float(pt.get("hae", "nan")) == 321.5
    sig_c = math.sqrt((900.1 + 850.3) / 2)
    assert float(pt.get("ce", "nan")) == pytest.approx(2.146 * sig_c, abs=0.1)
    assert float(pt.get("le", "nan")) == pytest.approx(1.6449 * 50.0, abs=0.1)
    rem = root.findtext("detail/remarks") or ""
    assert "shahed 81%, stray_lr 12%, geran3 4%" in rem
    assert "predicted crossing 00:05:00Z at 56.61000,27.95000 (±350 m, ±20 s) segment LV-RU-03" in rem
    trk = root.find("detail/track")
    assert trk is not None
    assert float(trk.get("course", "nan")) == pytest.approx(math.degrees(math.atan2(-48.1, -6.2)) % 360, abs=0.05)
    # protobuf: mesh header for UDP, streaming header for TCP; takproto parses both back
    for stream in (False, True):
        raw = to_proto(ev, stream=stream)
        msg = takproto.parse_proto(bytearray(raw))
        e = msg.cotEvent
        assert (e.type, e.uid, e.how) == ("a-h-A-M-F-Q", "borderwatch.T000042", "m-f")
        assert e.lat == pytest.approx(56.6212345) and e.staleTime - e.startTime == int(coast_limits()[0] * 1000)
        assert "predicted crossing" in e.detail.xmlDetail
    # our own parser reads both back too
    for raw in (to_xml(ev).encode(), to_proto(ev)):
        back = parse_event(raw)
        assert (back.uid, back.type) == (ev.uid, ev.type) and back.lat == pytest.approx(ev.lat)


def test_cooperative_single_sensor_and_unassessed_tracks() -> None:
    coop = track_event({**TRACK, "cooperative": True, "icao": "4ca2d6", "class": {"light_aircraft": 0.9}}, None)
    assert coop.how == "m-g" and coop.type == "a-p-A-C-F" and coop.stale - coop.start == coast_limits()[1]
    assert "ICAO 4ca2d6" in (coop.remarks or "")
    single = track_event({**TRACK, "sensors": ["r-2"], "cov_pos_enu_m2": None}, ASSESS)
    assert single.how == "m-r" and single.ce == 9999999.0


def test_alert_event() -> None:
    a = {"id": "A0007", "t": 1767225601.0, "kind": "crossed", "level": "alarm", "track": "T000042",
         "identity": "hostile", "lat": 56.5, "lon": 27.9,
         "message": "hostile shahed T000042 crossed <LV-RU-03>"}  # fmt: skip
    root = ET.fromstring(to_xml(alert_event(a)))
    assert root.get("type") == "b-a-g" and root.get("uid") == "borderwatch.alert.A0007"
    assert root.findtext("detail/remarks") == a["message"]


HEAD = b'<event uid="a" type="a-f-G" time="2026-01-01T00:00:00Z" stale="2026-01-01T00:05:00Z">'
PT = b'<point lat="1" lon="0"/></event>'


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (b"<event", "event: not XML"),
        (b'<!DOCTYPE x [<!ENTITY a "b">]><event/>', "event: DOCTYPE/ENTITY not allowed"),
        (b"<evt/>", "event: root element is not <event>"),
        (HEAD[:-1] + b"/>", "point: missing"),
        (HEAD + b'<point lat="91" lon="0"/></event>', "lat: outside [-90, 90]"),
        (HEAD.replace(b"2026-01-01T00:00:00Z", b"yesterday") + PT, "time: not an ISO 8601 time"),
        (HEAD.replace(b'uid="a" ', b"") + PT, "uid: missing or longer than 256 characters"),
        (b"\xbf\x01\xbf\xff\xff", "event: not TAK protobuf"),
    ],
)
def test_bad_cot_is_rejected_with_a_reason(doc: bytes, reason: str) -> None:
    with pytest.raises(CotError) as ei:
        parse_event(doc)
    assert str(ei.value).startswith(reason)
    board = FriendlyBoard()
    assert board.offer(doc) is None and sum(board.rejected.values()) == 1


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("hae", float("nan"), "hae: outside [-20000, 1e+07]"),
        ("ce", -4.2e262, "ce: outside [0, 1e+07]"),  # found by bench/fuzz_feeds.py
        ("le", float("inf"), "le: outside [0, 1e+07]"),
        ("sendTime", 2**63, "time: outside 1970..2100"),
        ("staleTime", 10**16, "stale: outside 1970..2100"),
    ],
)
def test_bad_tak_protobuf_values_are_rejected_like_xml(field: str, value: float, reason: str) -> None:
    import takproto

    raw = to_proto(parse_event(HEAD + PT))
    msg = takproto.parse_proto(bytearray(raw))
    setattr(msg.cotEvent, field, value)
    bad = bytes(raw[:3]) + msg.SerializeToString()
    with pytest.raises(CotError) as ei:
        parse_event(bad)
    assert str(ei.value) == reason
    assert FriendlyBoard().offer(bad) is None


def test_friendly_board_keeps_friends_until_stale() -> None:
    def ev(uid: str, typ: str, t: float, stale: float, lat: float = 56.5) -> bytes:
        e = track_event({"t": t, "track": "x", "lat": lat, "lon": 27.0, "alt_m": 100.0}, None)
        e.uid, e.type, e.stale, e.time = uid, typ, stale, t
        return to_xml(e).encode()

    b = FriendlyBoard()
    assert b.offer(ev("P1", "a-f-G-U-C-I", 100.0, 400.0)) is not None
    assert b.offer(ev("P1", "a-f-G-U-C-I", 90.0, 400.0, lat=50.0)) is not None  # older: does not replace
    assert b.offer(ev("H1", "a-h-G", 100.0, 400.0)) is None
    assert b.offer(ev("borderwatch.T1", "a-f-A", 100.0, 400.0)) is None  # our own echo
    assert b.offer(to_proto(parse_event(ev("P2", "a-f-G-E-V", 100.0, 200.0)))) is not None
    now = [x["uid"] for x in b.current(150.0)]
    assert now == ["P1", "P2"] and b.current(150.0)[0]["lat"] == 56.5
    assert [x["uid"] for x in b.current(300.0)] == ["P1"]
    assert b.skipped == {"type: not a friendly atom (a-f-…)": 1, "uid: our own event": 1}


def test_xml_stream_split_across_reads() -> None:
    one = to_xml(track_event(TRACK, ASSESS)).encode()
    buf = bytearray(b"junk" + one[:50])
    assert split_xml_stream(buf) == []
    buf += one[50:] + one + b"<event"
    assert split_xml_stream(buf) == [one, one] and bytes(buf) == b"<event"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=300), st.text(max_size=300)))
def test_any_bytes_are_an_event_or_a_cot_error(data: bytes | str) -> None:
    b = FriendlyBoard()
    b.offer(data)
    assert b.accepted + sum(b.rejected.values()) + sum(b.skipped.values()) == 1


@settings(max_examples=100, deadline=None)
@given(
    st.floats(-89.9, 89.9), st.floats(-179.9, 179.9), st.floats(-500, 20000),
    st.sampled_from(["hostile", "suspect", "unknown", "neutral", "friend", None]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
)  # fmt: skip
def test_xml_round_trip(lat: float, lon: float, alt: float, ident: str | None, name: str) -> None:
    tr = {**TRACK, "lat": lat, "lon": lon, "alt_m": alt, "track": "T<&>" + name}
    ev = track_event(tr, {**ASSESS, "identity": ident} if ident else None)
    back = parse_event(to_xml(ev))
    assert back.uid == ev.uid and back.type == ev.type
    assert back.lat == pytest.approx(lat, abs=1e-7) and back.lon == pytest.approx(lon, abs=1e-7)
    assert back.callsign == ev.callsign


def test_tcp_sink_reconnects_to_a_restarted_server() -> None:
    async def run() -> tuple[list[bytes], CotSink]:
        got: list[bytes] = []

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            buf = bytearray()
            while chunk := await r.read(65536):
                buf += chunk
                got.extend(split_xml_stream(buf))
            w.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = srv.sockets[0].getsockname()[1]
        sink = CotSink(f"tcp://127.0.0.1:{port}")
        ev = track_event(TRACK, ASSESS)
        assert await sink.send([ev, ev]) == 2
        await asyncio.sleep(0.2)
        srv.close()
        await srv.wait_closed()
        await sink.close()
        assert await sink.send([ev]) == 0 and sink.dropped >= 1  # nobody listens: dropped and counted
        srv = await asyncio.start_server(handle, "127.0.0.1", port)
        for _ in range(100):
            if await sink.send([ev]):
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.2)
        await sink.close()
        srv.close()
        return got, sink

    got, sink = asyncio.run(asyncio.wait_for(run(), 30))
    assert len(got) >= 3 and all(ET.fromstring(g).get("type") == "a-h-A-M-F-Q" for g in got)
    assert sink.errors["connect: ConnectionRefusedError"] >= 1


def test_bad_sink_urls() -> None:
    with pytest.raises(ValueError, match="expected tcp"):
        CotSink("http://x:1")
    with pytest.raises(ValueError, match="xml or proto"):
        CotSink("udp://239.2.3.1:6969", fmt="json")


def test_tls_sink_with_client_certificate(tmp_path: Path) -> None:
    """A TLS 'TAK server' that demands a client certificate signed by its CA (certificates made by openssl)."""
    import shutil
    import ssl
    import subprocess

    from borderwatch.interop.cot import tls_context

    openssl = shutil.which("openssl")
    assert openssl, "openssl (Debian package) is needed to make the test certificates"

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=tmp_path)

    run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
        "-subj", "/CN=test-ca")  # fmt: skip
    for name in ("server", "client"):
        run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.csr",
            "-subj", f"/CN={'localhost' if name == 'server' else 'bw-client'}", "-addext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-copy_extensions", "copy")  # fmt: skip

    ev = track_event(TRACK, ASSESS)  # (the first call loads the tracker's coast limits: outside the loop)

    async def go() -> list[bytes]:
        got: list[bytes] = []
        sctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH, cafile=str(tmp_path / "ca.pem"))
        sctx.load_cert_chain(str(tmp_path / "server.pem"), str(tmp_path / "server.key"))
        sctx.verify_mode = ssl.CERT_REQUIRED

        async def handle(r: asyncio.StreamReader, w: asyncio.StreamWriter) -> None:
            buf = bytearray()
            while chunk := await r.read(65536):
                buf += chunk
                got.extend(split_xml_stream(buf))
            w.close()

        srv = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=sctx)
        port = srv.sockets[0].getsockname()[1]
        ctx = tls_context(cert=str(tmp_path / "client.pem"), key=str(tmp_path / "client.key"),
                          ca=str(tmp_path / "ca.pem"))  # fmt: skip
        sink = CotSink(f"tls://127.0.0.1:{port}", ssl_context=ctx)
        assert await sink.send([ev]) == 1
        for _ in range(50):
            if got:
                break
            await asyncio.sleep(0.1)
        await sink.close()
        # without a client certificate the server refuses the handshake, and nothing reaches it
        bare = CotSink(
            f"tls://127.0.0.1:{port}", ssl_context=tls_context(cert=None, key=None, ca=str(tmp_path / "ca.pem"))
        )
        await bare.send([ev])
        await asyncio.sleep(0.3)
        await bare.close()
        srv.close()
        return got

    got = asyncio.run(asyncio.wait_for(go(), 60))
    assert len(got) == 1 and ET.fromstring(got[0]).get("uid") == "borderwatch.T000042"
