"""The browser picture (issue 12) in Debian's Chromium, driven by Playwright, against a real `borderwatch serve`
process fed a replayed scenario through signed HTTP ingest on the wall clock.

The scenario (tests/data/stray-serve.yaml: a hostile drone veering across the LV–RU border and a light aircraft
with ADS-B) is simulated once; its reports up to just before the first recommendation are written into the store,
time-shifted to end now, so that the server rebuilds the engine from them on start; the rest is posted live,
one second of scenario per wall second, by a feeder thread. Set BW_WEB_SCREENSHOTS=DIR to keep screenshots.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import httpx
import pytest
from serverkit import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src"
WEB = ROOT / "web"
DIST = SRC / "borderwatch" / "server" / "web" / "dist"
SCENARIO = ROOT / "tests" / "data" / "stray-serve.yaml"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--use-angle=swiftshader",
        "--enable-unsafe-swiftshader"]  # fmt: skip
REBUILT_S = (150.0, 262.0)  # scenario seconds written into the store before the start (rebuilt on start)
LOCAL = {"127.0.0.1", "localhost"}


def _source_hash() -> str:
    """The hash web/build.mjs writes into dist/SOURCE_HASH (same files, order and separators)."""
    h = hashlib.sha256()
    files = sorted(p for p in (WEB / "src").rglob("*") if p.is_file())
    for p in [*sorted(files, key=lambda p: p.relative_to(WEB).parts), WEB / "package-lock.json", WEB / "build.mjs"]:
        h.update(p.relative_to(WEB).as_posix().encode() + b"\0")
        h.update(p.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def test_shipped_bundle_matches_sources() -> None:
    if not (WEB / "src").is_dir():
        pytest.skip("web/ sources are not in this checkout (installed package)")
    recorded = (DIST / "SOURCE_HASH").read_text().strip()
    assert recorded == _source_hash(), "the shipped bundle is stale: run `make web` and commit the result"
    for name in ("index.html", "app.js", "app.css", "maplibre-gl-worker.mjs"):
        assert (DIST / name).stat().st_size > 0


def test_bundle_names_no_other_host() -> None:
    """No CDN, font or tile address in what the page loads (the bundle's licence comments may name sites)."""
    html = (DIST / "index.html").read_text()
    css = (DIST / "app.css").read_text()
    assert "http://" not in html and "https://" not in html
    assert "url(http" not in css and "@font-face" not in css


# ---------------------------------------------------------------- a live server fed a replayed scenario
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    dir: Path
    proc: subprocess.Popen[bytes]
    stop: threading.Event = field(default_factory=threading.Event)
    fed: list[int] = field(default_factory=list)
    feed_errors: list[str] = field(default_factory=list)

    def token(self, name: str) -> str:
        r = httpx.post(self.url + "/api/v1/login", json={"name": name, "password": PASSWORD}, timeout=30)
        assert r.status_code == 200, r.text
        return str(r.json()["token"])


def _prepare(d: Path, scenario: Path) -> tuple[list[dict[str, Any]], dict[str, bytes], float]:
    """Users, sensors, and the scenario's first reports (time-shifted to end now) in a fresh store."""
    from borderwatch.store import open_store, reports, sensor_keys, users

    reps = [json.loads(ln) for ln in (scenario / "reports.jsonl").read_text().splitlines() if ln.strip()]
    t0 = reps[0]["t"]
    shutil.copy(scenario / "sensors.json", d / "sensors.json")
    st = open_store(d / "bw.db")
    try:
        for name, role in (("vera", "viewer"), ("otto", "operator"), ("ada", "admin")):
            users.add_user(st, name, PASSWORD, role)
        ids = [s["id"] for s in json.loads((scenario / "sensors.json").read_text())["sensors"]]
        keys = {i: sensor_keys.add_sensor(st, i) for i in ids}
        shift = time.time() - (t0 + REBUILT_S[1])
        rows = [
            reports.ReportRow(r["sensor"], 1, r["t"] + shift, r["t"] + shift, json.dumps({**r, "t": r["t"] + shift}))
            for r in reps
            if t0 + REBUILT_S[0] <= r["t"] < t0 + REBUILT_S[1]
        ]
        reports.append_reports(st, rows)
    finally:
        st.close()
    return reps, keys, t0


def _feed(sv: Served, reps: list[dict[str, Any]], keys: dict[str, bytes], t0: float) -> None:
    """Post the rest of the scenario, one scenario second per wall second, signed, on the wall clock."""
    from borderwatch.store.signing import signed_envelope

    seq: dict[str, int] = defaultdict(lambda: 1)
    s = t0 + REBUILT_S[1]
    shift = time.time() - s
    end = reps[-1]["t"]
    with httpx.Client(timeout=30) as c:
        while s <= end and not sv.stop.is_set():
            wait = s + 1.0 + shift - time.time()
            if wait > 0:
                sv.stop.wait(wait)
            by: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for r in reps:
                if s <= r["t"] < s + 1.0:
                    by[r["sensor"]].append({**r, "t": round(r["t"] + shift, 6)})
            lines = []
            for sensor, rs in by.items():
                seq[sensor] += 1
                lines.append(json.dumps(signed_envelope(sensor, seq[sensor], time.time(), rs, keys[sensor])))
            if lines:
                out = c.post(sv.url + "/api/v1/ingest", content="\n".join(lines)).json()
                sv.fed.append(int(out["accepted"]))
                if out["rejected_messages"] or out["rejected_reports"]:
                    sv.feed_errors.append(json.dumps(out)[:500])
            s += 1.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (scripts/ensure_chromium.sh)")
    from borderwatch.jobs import simulate_job

    scen = tmp_path_factory.mktemp("scenario")
    simulate_job(SCENARIO, scen)
    d = tmp_path_factory.mktemp("web")
    reps, keys, t0 = _prepare(d, scen)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--store", str(d / "bw.db"), "--sensors",
           str(d / "sensors.json"), "--port", str(port)]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=(d / "serve.log").open("wb"), stderr=subprocess.STDOUT)
    sv = Served(f"http://127.0.0.1:{port}", d, proc)
    try:
        end = time.monotonic() + 120
        while True:
            assert proc.poll() is None, (d / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(sv.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < end, "serve did not come up in 120 s"
            time.sleep(0.3)
        feeder = threading.Thread(target=_feed, args=(sv, reps, keys, t0), daemon=True)
        feeder.start()
        yield sv
        sv.stop.set()
        feeder.join(timeout=30)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


@dataclass
class Browser:
    browser: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def page(self, sv: Served, name: str, style: str = "night") -> Any:
        ctx = self.browser.new_context(viewport={"width": 1600, "height": 1000})

        def route(r: Any) -> None:
            self.requests.append(r.request.url)
            host = urlparse(r.request.url).hostname
            if r.request.url.startswith(("data:", "blob:")) or host in LOCAL:
                r.continue_()
            else:
                r.abort()

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("websocket", lambda ws: self.requests.append(ws.url))
        page.goto(f"{sv.url}/?mute=1{'&style=day' if style == 'day' else ''}")
        page.get_by_label("Name").fill(name)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("#app-view:not([hidden])", timeout=30_000)
        return page


@pytest.fixture(scope="module")
def chromium(served: Served) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Browser(b)
        finally:
            b.close()


@pytest.fixture(scope="module")
def operator(served: Served, chromium: Browser) -> Any:
    return chromium.page(served, "otto")


def _positions(page: Any) -> dict[str, list[float]]:
    out: dict[str, list[float]] = page.evaluate(
        "() => Object.fromEntries([...window.__bw.tracks.values()].map(t => [t.track, [t.lon, t.lat]]))"
    )
    return out


def _drawn(page: Any) -> dict[str, list[float]]:
    """Where the map markers of the tracks are (at theatre zoom 2 s of flight is under one pixel)."""
    out: dict[str, list[float]] = page.evaluate(
        "() => Object.fromEntries([...window.__bw.markers].map(([k, m]) => [k, m.marker.getLngLat().toArray()]))"
    )
    return out


pytestmark = pytest.mark.slow


def test_tracks_appear_and_move(operator: Any) -> None:
    operator.wait_for_selector(".sym", timeout=30_000)
    before, m0 = _positions(operator), _drawn(operator)
    operator.wait_for_timeout(2000)
    after, m1 = _positions(operator), _drawn(operator)
    moved = [k for k in before if k in after and before[k] != after[k]]
    assert moved, f"no track moved in 2 s: {before} -> {after}"
    assert any(m0.get(k) != m1.get(k) for k in moved), "the symbols did not move on the map"
    rows = operator.locator("#tracks tbody tr").count()
    assert rows == len(after)


def test_hostile_uav_symbol_rendered(operator: Any) -> None:
    sym = operator.locator('.sym[data-identity="hostile"]').first
    sym.wait_for(timeout=30_000)
    sidc = sym.get_attribute("data-sidc")
    assert sidc[3] == "6" and sidc[4:6] == "01" and sidc[10:16] == "110300", sidc  # hostile, air, UAV
    assert sym.locator("svg path").count() > 0  # drawn by milsymbol


def test_reject_without_reason_is_refused(served: Served, operator: Any) -> None:
    btn = operator.locator("#recs button.reject").first
    btn.wait_for(timeout=60_000)
    rec = btn.get_attribute("data-rec")
    btn.click()
    msg = operator.locator("#decision-msg")
    msg.filter(has_text="Refused").wait_for(timeout=15_000)
    assert "needs a reason" in msg.inner_text()
    assert operator.evaluate("() => document.activeElement.dataset.rec") == rec  # the reason box has the focus
    otto = {"Authorization": f"Bearer {served.token('otto')}"}
    r = httpx.post(f"{served.url}/api/v1/recommendations/{rec}/reject", json={"reason": " "}, headers=otto)
    assert r.status_code == 422 and "reason" in r.json()["detail"]  # the API refuses it as well
    audit = httpx.get(
        served.url + "/api/v1/admin/audit", headers={"Authorization": f"Bearer {served.token('ada')}"}, timeout=30
    ).json()
    assert not [a for a in audit if a["subject"] == f"recommendation:{rec}"]


def test_approve_from_queue_is_audited(served: Served, operator: Any) -> None:
    btn = operator.locator("#recs button.approve").first
    btn.wait_for(timeout=60_000)
    rec = btn.get_attribute("data-rec")
    operator.locator(f'#recs li[data-rec-item="{rec}"]').click()
    operator.keyboard.press("a")  # the keyboard shortcut approves the selected recommendation
    msg = operator.locator("#decision-msg")
    msg.filter(has_text=f"Approved {rec}").wait_for(timeout=15_000)
    audit = httpx.get(
        served.url + "/api/v1/admin/audit", headers={"Authorization": f"Bearer {served.token('ada')}"}, timeout=30
    ).json()
    rows = [a for a in audit if a["subject"] == f"recommendation:{rec}"]
    assert [(a["actor"], a["action"]) for a in rows] == [("otto", "decision.approve")]


def test_viewer_sees_no_decision_controls(served: Served, chromium: Browser) -> None:
    page = chromium.page(served, "vera")
    page.wait_for_selector(".sym", timeout=30_000)
    page.wait_for_selector("#recs li.rec, #alerts li", timeout=60_000)
    assert page.locator("button.approve, button.reject, input.reason, button.ack").count() == 0
    page.close()


def test_screenshots_both_styles(served: Served, chromium: Browser, operator: Any, tmp_path: Path) -> None:
    out = Path(os.environ.get("BW_WEB_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    operator.wait_for_timeout(1500)
    operator.screenshot(path=str(out / "operator-night.png"))
    seen = operator.evaluate(
        "() => [...window.__bw.markers].map(([k, m]) => [k, m.el.dataset.identity, m.marker.getLngLat().toArray(),"
        " m.marker.getElement().style.zIndex])"
    )
    (out / "operator-tracks.json").write_text(json.dumps(seen))
    operator.get_by_role("button", name="switch between night (ops room) and day style").click()
    operator.wait_for_timeout(1500)
    operator.screenshot(path=str(out / "operator-day.png"))
    assert (out / "operator-night.png").stat().st_size > 10_000
    assert operator.evaluate("() => document.body.className") == "theme-light"


def test_no_console_errors_and_no_foreign_requests(served: Served, chromium: Browser) -> None:
    assert served.fed and not served.feed_errors, served.feed_errors
    assert chromium.requests
    foreign = [
        u for u in chromium.requests if not u.startswith(("data:", "blob:")) and urlparse(u).hostname not in LOCAL
    ]
    assert foreign == []
    assert chromium.errors == []
