"""Live: SAPIENT acoustic nodes connect to a real ``borderwatch serve --sapient`` process over mutual TLS,
register, send heartbeats and bearings of a drone, and the picture shows its track; a node without a
certificate is refused, a node cannot speak for another, and a bad message is refused in SAPIENT's own terms and
counted."""

from __future__ import annotations

import socket
import ssl
import struct
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from livekit import Served, serve

from borderwatch.geo.frames import LocalFrame
from borderwatch.interop import sapient as S
from borderwatch.tracking.testing import acoustic_bearings, make_truth, sites_from_enu, table_for

PORT_HTTP, PORT_SAPIENT = 18321, 18322
FRAME = LocalFrame(56.8, 27.5, 100.0)


def _node_ids(n: int) -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_DNS, f"node-{i}.borderwatch.test")) for i in range(n)]


def _send(sock: socket.socket, msg: Any) -> None:
    sock.sendall(S.frame(msg.SerializeToString()))


def _recv(sock: socket.socket) -> Any:
    head = b""
    while len(head) < 4:
        head += sock.recv(4 - len(head))
    (n,) = struct.unpack("<I", head)
    body = b""
    while len(body) < n:
        body += sock.recv(n - len(body))
    return S.decode(body)


def _message(node: str, t: float) -> Any:
    m = S.messages()["SapientMessage"](node_id=node)
    m.timestamp.FromNanoseconds(round(t * 1e9))
    return m


@pytest.mark.slow
def test_sapient_nodes_into_serve_give_a_track(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    specs = [(f"a{i}", "acoustic", 1500.0 * (i % 3), 1500.0 * (i // 3), 0.0) for i in range(9)]
    sites = sites_from_enu(FRAME, specs)
    ids = _node_ids(len(sites))
    sens = [{**s.to_dict(), "sapient_node_id": nid} for s, nid in zip(sites, ids, strict=True)]
    pki = _certificates(tmp_path, ids)
    socks: list[socket.socket] = []
    tls = ("--sapient-cert", str(pki / "server.pem"), "--sapient-key", str(pki / "server.key"),
           "--sapient-ca", str(pki / "ca.pem"))  # fmt: skip
    with serve(tmp_path, sens, PORT_HTTP, "--sapient", f"127.0.0.1:{PORT_SAPIENT}", *tls) as sv:
        try:
            _run(sv, sites, specs, ids, socks, rng, pki)
        finally:
            for s in socks:
                s.close()


def _certificates(tmp_path: Path, ids: list[str]) -> Path:
    """A CA, the listener's certificate and one client certificate per node (CN = its node id), by openssl."""
    import shutil
    import subprocess

    openssl = shutil.which("openssl")
    assert openssl, "openssl (Debian package) is needed to make the test certificates"
    d = tmp_path / "pki"
    d.mkdir()

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], check=True, capture_output=True, cwd=d)

    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca")
    for name, cn in [("server", "localhost"), *((f"node-{i}", nid) for i, nid in enumerate(ids))]:
        run("req", *ec, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
            "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1")  # fmt: skip
        run("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", f"{name}.pem", "-days", "2", "-copy_extensions", "copy")  # fmt: skip
    return d


def _tls_connect(pki: Path, i: int | None) -> ssl.SSLSocket:
    ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
    if i is not None:
        ctx.load_cert_chain(str(pki / f"node-{i}.pem"), str(pki / f"node-{i}.key"))
    raw = socket.create_connection(("127.0.0.1", PORT_SAPIENT), timeout=30)
    return ctx.wrap_socket(raw, server_hostname="localhost")


def _run(sv: Served, sites: list[Any], specs: list[Any], ids: list[str], socks: list[socket.socket],
         rng: np.random.Generator, pki: Path) -> None:  # fmt: skip
    end = time.monotonic() + 60
    while not socks:
        try:
            socks += [_tls_connect(pki, i) for i in range(len(ids))]
        except ConnectionRefusedError:  # the listener starts once the service listens
            assert time.monotonic() < end, sv.tail()
            time.sleep(0.3)
    # no client certificate: the server refuses the handshake (TLS 1.3 tells the client at its first read)
    try:
        bare = _tls_connect(pki, None)
        _send(bare, _message(ids[0], time.time()))
        assert bare.recv(1) == b"", "a node without a certificate got an answer"
    except (ssl.SSLError, ConnectionError):
        pass
    t0 = time.time()
    for sock, nid in zip(socks, ids, strict=True):
        m = _message(nid, t0)
        m.registration.icd_version = "BSI Flex 335 v2.0"
        m.registration.node_definition.add(node_type=6)
        _send(sock, m)
        ack = _recv(sock)
        assert ack.WhichOneof("content") == "registration_ack" and ack.registration_ack.acceptance, ack
        hb = _message(nid, t0)
        hb.status_report.system = 1
        _send(sock, hb)
    # a detection relative to magnetic north: refused with a SAPIENT Error, counted
    bad = _message(ids[0], t0)
    bad.detection_report.range_bearing.azimuth = 10.0
    bad.detection_report.range_bearing.coordinate_system = 1
    bad.detection_report.range_bearing.datum = 2
    _send(socks[0], bad)
    err = _recv(socks[0])
    assert err.WhichOneof("content") == "error" and "magnetic" in err.error.error_message[0]
    # node 0's certificate cannot speak for node 1
    spoof = _message(ids[1], t0)
    spoof.status_report.system = 5  # would unregister node 1
    _send(socks[0], spoof)
    err = _recv(socks[0])
    assert err.WhichOneof("content") == "error"
    assert err.error.error_message[0] == "node_id: not the node this connection speaks for"

    truth = make_truth(rng, n_targets=1, duration_s=90.0, t0=t0 + 1.0, box_m=(1000, 2000, 1000, 2000),
                       speed_mps=(15, 20), up_m=(200, 300), turn_fraction=0.0)  # fmt: skip
    tab = table_for(FRAME, sites)
    reps = sorted(acoustic_bearings(truth, tab, [s[0] for s in specs], rng, range_m=3000.0), key=lambda r: r.t)
    by_sensor = {s.id: (sock, nid) for s, sock, nid in zip(sites, socks, ids, strict=True)}
    tracks: list[dict[str, Any]] = []
    k = 0
    end = time.monotonic() + 120
    while time.monotonic() < end and not tracks:
        now = time.time()
        while k < len(reps) and reps[k].t <= now:
            r = reps[k]
            sock, nid = by_sensor[r.sensor]
            m = _message(nid, r.t)
            rb = m.detection_report.range_bearing
            rb.azimuth, rb.azimuth_error, rb.coordinate_system, rb.datum = r.az_deg, r.sigma_az_deg, 1, 1
            if r.el_deg is not None:
                rb.elevation, rb.elevation_error = r.el_deg, r.sigma_el_deg or 3.0
            _send(sock, m)
            k += 1
        time.sleep(0.2)
        if k < 60:
            continue
        try:
            got = httpx.get(sv.url + "/api/v1/tracks", headers=sv.auth, timeout=30).json()["items"]
        except httpx.TimeoutException:  # a loaded machine; try again
            continue
        tracks = [t for t in got if t.get("status") != "tentative"] or tracks
    assert tracks, sv.tail()
    assert set(tracks[0]["sensors"]) <= {s.id for s in sites} and len(tracks[0]["sensors"]) >= 2
    health = httpx.get(sv.url + "/api/v1/sensors", headers=sv.auth, timeout=30).json()
    heard = {s["id"] for s in health if s.get("count", 0) > 0}
    assert len(heard) >= 4, health
    metrics = httpx.get(sv.url + "/metrics", timeout=30).text
    assert 'sensor="_sapient"' in metrics and "magnetic north" in metrics
