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
from layerkit import mobility_dir, write_mbtiles
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

    def auth(self, name: str) -> dict[str, str]:
        """The Authorization header of a fresh login as ``name``."""
        return {"Authorization": f"Bearer {self.token(name)}"}


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
    """Post the rest of the scenario, one scenario second per wall second, signed, on the wall clock.

    The live part is 68 s and the module runs for minutes: it is posted lap after lap, each lap time-shifted to
    start at the wall clock's now (new tracks each lap), until the module ends.
    """
    from borderwatch.store.signing import signed_envelope

    seq: dict[str, int] = defaultdict(lambda: 1)
    end = reps[-1]["t"]
    with httpx.Client(timeout=30) as c:
        while not sv.stop.is_set():
            s = t0 + REBUILT_S[1]
            shift = time.time() - s
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
    (d / "mobility").mkdir()
    mobility_dir(d / "mobility")
    write_mbtiles(d / "tiny.mbtiles", maxzoom=2)
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{SRC}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    cmd = [sys.executable, "-m", "borderwatch.cli", "serve", "--store", str(d / "bw.db"), "--sensors",
           str(d / "sensors.json"), "--port", str(port), "--mobility", str(d / "mobility"),
           "--tiles", str(d / "tiny.mbtiles")]  # fmt: skip
    proc = subprocess.Popen(cmd, env=env, stdout=(d / "serve.log").open("wb"), stderr=subprocess.STDOUT)
    sv = Served(f"http://127.0.0.1:{port}", d, proc)
    try:
        end = time.monotonic() + 300  # a busy shared machine (2 cores) can take minutes to import and start
        while True:
            assert proc.poll() is None, (d / "serve.log").read_text()[-2000:]
            try:
                if httpx.get(sv.url + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < end, "serve did not come up in 300 s"
            time.sleep(0.3)
        feeder = threading.Thread(target=_feed, args=(sv, reps, keys, t0), daemon=True)
        feeder.start()
        yield sv
        sv.stop.set()
        feeder.join(timeout=30)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
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
    """Where the map's track source puts each track symbol (what MapLibre draws; on screen or not)."""
    out: dict[str, list[float]] = page.evaluate(
        "async () => Object.fromEntries((await window.__bw.map.getSource('tracks').getData()).features"
        ".map((f) => [f.properties.track, f.geometry.coordinates]))"
    )
    return out


def _poll(page: Any, js: str, timeout: float = 15_000, arg: Any = None) -> Any:
    """Wait until the (possibly async) function ``js`` returns a truthy value; return it.

    ``page.wait_for_function`` does not await a promise (a pending promise counts as true), so an async predicate
    is polled here through ``page.evaluate``, which does.
    """
    end = time.monotonic() + timeout / 1000
    while True:
        got = page.evaluate(js, arg)
        if got:
            return got
        if time.monotonic() > end:
            raise TimeoutError(f"not true after {timeout / 1000:.0f} s: {js}")
        page.wait_for_timeout(200)


def _wait_live(page: Any) -> None:
    """The map is loaded and the picture's WebSocket is live."""
    page.wait_for_function("() => !!window.__bw.mapReady && !!window.__bw.live", timeout=60_000)


def _wait_drawn(page: Any, timeout: float = 60_000) -> None:
    try:
        _poll(
            page,
            "async () => !!window.__bw.mapReady && (await window.__bw.map.getSource('tracks').getData()).features"
            ".some((f) => f.properties.icon || f.properties.bird)",
            timeout=timeout,
        )
    except TimeoutError:
        state = page.evaluate(
            "() => ({ready: !!window.__bw.mapReady, tracks: window.__bw.tracks.size, feat: window.__bw.feat.size,"
            " live: window.__bw.live, loaded: window.__bw.map && window.__bw.map.loaded()})"
        )
        raise AssertionError(f"no track symbol drawn: {state}") from None


pytestmark = pytest.mark.slow


def test_tracks_appear_and_move(operator: Any) -> None:
    _wait_drawn(operator)
    before, m0 = _positions(operator), _drawn(operator)
    operator.wait_for_timeout(2000)
    after, m1 = _positions(operator), _drawn(operator)
    moved = [k for k in before if k in after and before[k] != after[k]]
    assert moved, f"no track moved in 2 s: {before} -> {after}"
    assert any(m0.get(k) != m1.get(k) for k in moved if k in m0 and k in m1), "the symbols did not move on the map"
    operator.wait_for_timeout(1100)  # the table is redrawn once a second
    rows = operator.locator("#tracks tbody tr").count()
    assert rows == len(_positions(operator))


def test_software_webgl_is_noted(operator: Any) -> None:
    """The test browser has no GPU (SwiftShader): the header says the map is drawn in software, and the page has
    measured what one redraw costs (the track redraw interval adapts to it)."""
    _wait_drawn(operator)
    renderer = operator.evaluate("() => window.__bw.glRenderer")
    assert "swiftshader" in renderer.lower(), renderer
    note = operator.locator("#gl-note")
    assert note.is_visible() and note.get_attribute("role") == "note"
    assert "GPU" in (note.get_attribute("title") or "")
    cost = _poll(operator, "async () => window.__bw.drawCost > 0 ? window.__bw.drawCost : null")
    assert 0 < cost < 60_000, cost


def test_hostile_uav_symbol_rendered(operator: Any) -> None:
    operator.wait_for_function("() => [...window.__bw.feat.values()].some((f) => f.properties.identity === 'hostile')")
    track = operator.evaluate(
        "() => [...window.__bw.feat.values()].find((f) => f.properties.identity === 'hostile').properties.track"
    )
    operator.evaluate("(id) => window.__bw.map.jumpTo({center: window.__bw.feat.get(id).geometry.coordinates})", track)
    # on screen, drawn by MapLibre's symbol layer (queryRenderedFeatures answers only for what was placed)
    operator.wait_for_function("(id) => window.__bw.rendered().some((f) => f.track === id)", arg=track, timeout=60_000)
    f = next(f for f in operator.evaluate("() => window.__bw.rendered()") if f["track"] == track)
    sidc = f["sidc"]
    assert sidc[3] == "6" and sidc[4:6] == "01" and sidc[10:16] == "110300", sidc  # hostile, air, UAV
    # the icon is milsymbol's drawing, registered once per symbol code: opaque pixels in a map image
    img = operator.evaluate(
        """(key) => { const im = window.__bw.map.getImage(key); let n = 0;
        for (let i = 3; i < im.data.data.length; i += 4) if (im.data.data[i] > 0) n++;
        return {w: im.data.width, h: im.data.height, opaque: n, registered: window.__bw.icons.has(key)}; }""",
        f["icon"],
    )
    assert img["registered"] and img["w"] >= 20 and img["opaque"] > 100, img
    b = operator.evaluate("() => window.__bw.layers.bbox")
    operator.evaluate("(b) => window.__bw.map.fitBounds([[b[0], b[1]], [b[2], b[3]]], {padding: 20, duration: 0})", b)


def test_reject_without_reason_is_refused(served: Served, operator: Any) -> None:
    btn = operator.locator("#recs button.reject").first
    btn.wait_for(timeout=60_000)
    rec = btn.get_attribute("data-rec")
    btn.click()
    msg = operator.locator("#decision-msg")
    msg.filter(has_text="Refused").wait_for(timeout=15_000)
    assert "needs a reason" in msg.inner_text()
    assert operator.evaluate("() => document.activeElement.dataset.rec") == rec  # the reason box has the focus
    otto = served.auth("otto")
    r = httpx.post(f"{served.url}/api/v1/recommendations/{rec}/reject", json={"reason": " "}, headers=otto)
    assert r.status_code == 422 and "reason" in r.json()["detail"]  # the API refuses it as well
    audit = httpx.get(served.url + "/api/v1/admin/audit", headers=served.auth("ada"), timeout=30).json()
    assert not [a for a in audit if a["subject"] == f"recommendation:{rec}"]


def test_approve_from_queue_is_audited(served: Served, operator: Any) -> None:
    btn = operator.locator("#recs button.approve").first
    btn.wait_for(timeout=60_000)
    rec = btn.get_attribute("data-rec")
    operator.locator(f'#recs li[data-rec-item="{rec}"]').click()
    operator.keyboard.press("a")  # the keyboard shortcut approves the selected recommendation
    msg = operator.locator("#decision-msg")
    msg.filter(has_text=f"Approved {rec}").wait_for(timeout=15_000)
    audit = httpx.get(served.url + "/api/v1/admin/audit", headers=served.auth("ada"), timeout=30).json()
    rows = [a for a in audit if a["subject"] == f"recommendation:{rec}"]
    assert [(a["actor"], a["action"]) for a in rows] == [("otto", "decision.approve")]


def test_viewer_sees_no_decision_controls(served: Served, chromium: Browser) -> None:
    page = chromium.page(served, "vera")
    _wait_live(page)
    page.wait_for_selector("#recs li.rec, #alerts li", timeout=60_000)
    assert page.locator("button.approve, button.reject, input.reason, button.ack").count() == 0
    page.close()


def _tab(page: Any, name: str) -> None:
    """Open a side panel from the keyboard: focus the tab list, arrow to the tab, the panel shows."""
    page.locator('[role="tab"][aria-selected="true"]').focus()
    for _ in range(8):
        if page.evaluate("() => document.activeElement.textContent") == name:
            break
        page.keyboard.press("ArrowRight")
    assert page.evaluate("() => document.activeElement.textContent") == name
    assert page.locator(f'[role="tab"]:has-text("{name}")').get_attribute("aria-selected") == "true"


def test_sensor_health_panel_and_map(served: Served, operator: Any) -> None:
    _tab(operator, "Sensors")
    rows = operator.locator("#sensors tbody tr")
    rows.first.wait_for(timeout=30_000)
    api = httpx.get(served.url + "/api/v1/sensors", headers=served.auth("vera"), timeout=30).json()
    assert rows.count() == len(api)
    health = operator.locator("#sensors tbody td:nth-child(3)").all_inner_texts()
    assert set(health) <= {"up", "late", "down", "never"} and "up" in health  # the feeder keeps them reporting
    on_map = operator.evaluate(
        "async () => (await window.__bw.map.getSource('sensors').getData()).features.map((f) => f.properties.status)"
    )
    assert len(on_map) == sum(1 for x in api if x["lat"] is not None) and "up" in on_map
    # coverage on request
    _tab(operator, "Layers")
    assert operator.evaluate("() => window.__bw.map.getLayoutProperty('coverage', 'visibility')") == "none"
    operator.get_by_label("Sensor coverage").check()
    assert operator.evaluate("() => window.__bw.map.getLayoutProperty('coverage', 'visibility')") == "visible"
    n = operator.evaluate("async () => (await window.__bw.map.getSource('coverage').getData()).features.length")
    assert n == sum(1 for x in api if x["coverage_m"])
    operator.get_by_label("Sensor coverage").uncheck()
    _tab(operator, "Tracks")


def test_effector_panel_shows_magazines_and_engagements(served: Served, operator: Any) -> None:
    _tab(operator, "Effectors")
    eff = httpx.get(served.url + "/api/v1/effectors", headers=served.auth("vera"), timeout=30).json()["items"]
    operator.wait_for_function(f"() => document.querySelectorAll('#effectors tbody tr').length === {len(eff)}")
    first = operator.locator(f'#effectors tbody tr[data-effector="{eff[0]["id"]}"]').inner_text()
    assert eff[0]["type"] in first and f"{eff[0]['busy']}/{eff[0]['channels']}" in first
    # the recommendation approved above became an engagement: in progress, or its outcome
    operator.locator("#engagements li").first.wait_for(timeout=60_000)
    assert "←" in operator.locator("#engagements li").first.inner_text()
    _tab(operator, "Tracks")


def test_after_action_review_scrubs_the_store(served: Served, chromium: Browser) -> None:
    page = chromium.page(served, "vera")
    _wait_live(page)
    # the store must hold more than the minute the test scrubs to (run alone, the test starts with seconds of it)
    hdr = served.auth("vera")
    end = time.monotonic() + 180
    while True:
        ext = httpx.get(served.url + "/api/v1/history/extent", headers=hdr, timeout=30).json()
        if ext["t_min"] is not None and ext["t_max"] - ext["t_min"] >= 90:
            break
        assert time.monotonic() < end, f"the store holds too short a history: {ext}"
        time.sleep(2)
    page.wait_for_function(  # the page refreshes its extent every 30 s while live
        "() => window.__bw.extent && window.__bw.extent.t_max - window.__bw.extent.t_min >= 90", timeout=60_000
    )
    _tab(page, "Review")
    page.wait_for_function("() => !document.getElementById('review-time').disabled", timeout=30_000)
    x = page.evaluate("() => window.__bw.extent")
    assert x["t_min"] is not None and x["track_points"] > 0
    # scrub to one minute after the first stored point, from the keyboard: focus the bar, Home, then 6 steps of 10 s
    bar = page.locator("#review-time")
    bar.focus()
    page.keyboard.press("Home")
    for _ in range(6):
        page.keyboard.press("ArrowRight")
    page.get_by_role("button", name="Show this time").press("Enter")
    page.wait_for_function("() => window.__bw.review && window.__bw.review.shown.size > 0", timeout=30_000)
    cursor = page.evaluate("() => window.__bw.review.cursor")
    assert abs(cursor - (int(x["t_min"]) + 60)) <= 10
    assert page.locator("#review-banner").is_visible() and "not live" in page.locator("#review-banner").inner_text()
    # the map shows the stored picture at the cursor, not the live one (once the worker's tiles are drawn)
    page.wait_for_function(
        """() => { const d = window.__bw.rendered(); const s = window.__bw.review.shown;
        return d.length > 0 && d.every((f) => s.has(f.track)); }""",
        timeout=15_000,
    )
    drawn = {f["track"] for f in page.evaluate("() => window.__bw.rendered()")}
    shown = set(page.evaluate("() => [...window.__bw.review.shown.keys()]"))
    assert drawn and drawn <= shown  # the map shows the stored picture at the cursor, not the live one
    # play at 60x: the cursor moves
    page.get_by_label("Speed").select_option("60")
    page.get_by_role("button", name="Play").click()
    page.wait_for_function(f"() => window.__bw.review.cursor > {cursor} + 20", timeout=15_000)
    page.get_by_role("button", name="Back to live").click()
    assert page.evaluate("() => window.__bw.review") is None
    assert page.locator("#review-banner").is_hidden()
    page.close()


def test_defence_line_and_offline_tiles(served: Served, operator: Any, chromium: Browser) -> None:
    operator.wait_for_function("() => window.__bw.extrasReady", timeout=30_000)
    _tab(operator, "Layers")
    assert operator.get_by_label("Defence line (chokepoints, parks, corridors, plan)").is_checked()
    feats = operator.evaluate(
        "async () => { const o = {}; for (const k of ['chokepoints', 'corridors', 'plan', 'parks'])"
        " o[k] = (await window.__bw.map.getSource('defence-' + k).getData()).features.length; return o; }"
    )
    assert feats["chokepoints"] == 2 and feats["corridors"] == 1 and feats["plan"] == 1 and feats["parks"] >= 1
    assert "closed in 6.5 h" in operator.locator("#defence-summary").inner_text()
    operator.wait_for_function(
        "() => window.__bw.map.queryRenderedFeatures({layers: ['defence-chokepoints']}).length > 0", timeout=15_000
    )
    operator.get_by_label("Defence line (chokepoints, parks, corridors, plan)").uncheck()
    assert operator.evaluate("() => window.__bw.map.getLayoutProperty('defence-plan', 'visibility')") == "none"
    operator.get_by_label("Defence line (chokepoints, parks, corridors, plan)").check()
    # the offline tiles: a raster source of the local file, drawn under the theatre
    assert operator.get_by_label("Offline base-map tiles").is_visible()
    assert operator.evaluate("() => window.__bw.map.getSource('offline').type") == "raster"
    operator.wait_for_function("() => window.__bw.map.isSourceLoaded('offline')", timeout=30_000)
    assert any("/api/v1/tiles/2/" in u for u in chromium.requests)
    # the service keeps the border-event register: the sections layer (one line per section) and the event tab show
    operator.locator("#tab-events").wait_for(state="visible", timeout=15_000)
    assert operator.get_by_label("Border sections by impact level").is_visible()
    n_sections = len(
        httpx.get(served.url + "/api/v1/sections", headers=served.auth("vera"), timeout=30).json()["features"]
    )
    sections = "async () => (await window.__bw.map.getSource('sections').getData()).features.length"
    _poll(operator, f"{sections} === {n_sections}")
    assert n_sections > 0
    _tab(operator, "Tracks")


def test_predicted_crossing_cue(served: Served, chromium: Browser) -> None:
    """A new predicted-crossing alert flashes the screen and is announced (the sound is muted: ?mute=1)."""
    page = chromium.page(served, "vera")
    _wait_live(page)
    alert = {"id": "test-cue-1", "kind": "predicted_crossing", "level": "alarm", "t": time.time(), "track": "T-cue",
             "identity": "hostile", "message": "T-cue predicted to cross at 03:14"}  # fmt: skip
    frame = {"type": "delta", "epoch": "x", "seq": 1, "t": time.time(), "kind": "alert", "id": alert["id"],
             "data": alert}  # fmt: skip
    # the page's WebSocket handler, called with no await between the counts (live alerts cannot interleave)
    cue = (
        "(f) => { const b = window.__bw.cues || 0; window.__bw.handle(JSON.stringify(f));"
        " return (window.__bw.cues || 0) - b; }"
    )
    assert page.evaluate(cue, frame) == 1
    assert "flash on" in page.locator("#flash").get_attribute("class")
    assert "T-cue predicted to cross" in page.locator("#announce").inner_text()
    assert page.evaluate("() => window.__bw.muted") is True
    assert page.evaluate(cue, {**frame, "seq": 2}) == 0  # the same alert again: no second cue
    page.close()


CONTROLS_JS = """() => [...document.querySelectorAll('#app-view button, #app-view input, #app-view select')]
    .filter((e) => e.offsetParent !== null)
    .map((e) => ({id: e.id || e.dataset.rec || e.dataset.sort || e.textContent.trim(), tab: e.tabIndex,
      name: (e.getAttribute('aria-label') || (e.labels && [...e.labels].map((l) => l.textContent).join(' '))
        || e.textContent || e.title || '').trim()}))"""


def test_every_control_labelled_and_reachable_by_keyboard(operator: Any) -> None:
    controls = operator.evaluate(CONTROLS_JS)
    assert controls and [c for c in controls if not c["name"]] == []
    seen = set()
    operator.locator("#theme-toggle").focus()
    for _ in range(len(controls) + 60):
        operator.keyboard.press("Tab")
        seen.add(
            operator.evaluate(
                "() => { const e = document.activeElement; return e.id || e.dataset.rec || e.dataset.sort"
                " || e.textContent.trim(); }"
            )
        )
    # the live queue changes meanwhile (the feed runs): only controls still there at the end must have been reached
    still = {c["id"] for c in operator.evaluate(CONTROLS_JS)}
    missing = [c["id"] for c in controls if c["tab"] >= 0 and c["id"] not in seen and c["id"] in still]
    assert missing == [], missing


def test_screenshots_both_styles(served: Served, chromium: Browser, operator: Any, tmp_path: Path) -> None:
    out = Path(os.environ.get("BW_WEB_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    operator.wait_for_timeout(1500)
    operator.screenshot(path=str(out / "operator-night.png"))
    seen = operator.evaluate("() => window.__bw.rendered()")
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
