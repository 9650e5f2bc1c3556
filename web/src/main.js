// borderwatch common operational picture: login, base map from the theatre, live tracks from the picture
// WebSocket, alert and recommendation queues, track table. Every request goes to the serving host only.
import * as maplibregl from "maplibre-gl";
import ms from "milsymbol";
import { THEMES, baseLayers } from "./style.js";
import { sidcFor, isBird } from "./symbols.js";

maplibregl.setWorkerUrl(new URL("/static/maplibre-gl-worker.mjs", location.href).href);

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const S = {
  token: sessionStorage.getItem("bw.token"),
  me: null,
  theme: params.get("style") === "day" ? "light" : "dark",
  muted: params.get("mute") === "1",
  tracks: new Map(), // id -> track record
  assess: new Map(), // track id -> assessment
  alerts: new Map(),
  recs: new Map(),
  engaged: new Map(), // track id -> engagement
  trails: new Map(), // track id -> [[lon, lat], ...]
  markers: new Map(), // track id -> {marker, el, key}
  serverOffset: 0, // picture time - local time, s
  selected: null, // recommendation id
  sort: { key: "identity", dir: 1 },
  ws: null,
  epoch: null,
  seq: null,
  map: null,
  layers: null,
  assets: new Map(),
  live: false,
};
window.__bw = S; // for the browser tests and the bench
const TRAIL_N = 30;
const ID_RANK = { hostile: 0, suspect: 1, unknown: 2, neutral: 3, friend: 4 };

// ---------------------------------------------------------------- api
async function api(path, opts = {}) {
  const r = await fetch(path, {
    ...opts,
    headers: { "Content-Type": "application/json", ...(S.token ? { Authorization: `Bearer ${S.token}` } : {}) },
  });
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (!r.ok) {
    const err = new Error(detailText(body) || `HTTP ${r.status}`);
    err.status = r.status;
    throw err;
  }
  return body;
}

function detailText(body) {
  if (!body || body.detail === undefined) return "";
  const d = body.detail;
  if (typeof d === "string") return d;
  if (Array.isArray(d)) {
    return d
      .map((e) => {
        const field = (e.loc || []).filter((x) => x !== "body").join(".");
        if (field === "reason") return "a rejection needs a reason";
        return `${field}: ${e.msg}`;
      })
      .join("; ");
  }
  return JSON.stringify(d);
}

// ---------------------------------------------------------------- login
$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  $("login-error").textContent = "";
  try {
    const out = await api("/api/v1/login", {
      method: "POST",
      body: JSON.stringify({ name: $("login-name").value, password: $("login-password").value }),
    });
    S.token = out.token;
    sessionStorage.setItem("bw.token", out.token);
    await start();
  } catch (e) {
    $("login-error").textContent = e.message;
  }
});

$("logout").addEventListener("click", async () => {
  try {
    await api("/api/v1/logout", { method: "POST" });
  } catch {
    /* the token may have expired already */
  }
  sessionStorage.removeItem("bw.token");
  location.reload();
});

async function start() {
  try {
    S.me = await api("/api/v1/me");
  } catch {
    sessionStorage.removeItem("bw.token");
    S.token = null;
    $("login-view").hidden = false;
    return;
  }
  $("login-view").hidden = true;
  $("app-view").hidden = false;
  document.body.dataset.role = S.me.role;
  $("who").textContent = `${S.me.name} (${S.me.role})`;
  if (!S.me.can_decide) $("rec-hint").textContent = "Viewer: decisions are made by an operator.";
  applyTheme();
  updateMute();
  S.layers = await api("/api/v1/theatre/layers");
  $("theatre-title").textContent = S.layers.title;
  $("attribution").textContent = S.layers.attribution;
  for (const f of S.layers.assets.features) S.assets.set(f.properties.name, f.geometry.coordinates);
  initMap();
}

// ---------------------------------------------------------------- theme, sound
function applyTheme() {
  document.body.className = S.theme === "dark" ? "theme-dark" : "theme-light";
  $("theme-toggle").textContent = S.theme === "dark" ? "Day style" : "Night style";
  if (S.map && S.map.getLayer("bg")) {
    const th = THEMES[S.theme];
    for (const [layer, props] of Object.entries(th.paint)) {
      if (!S.map.getLayer(layer)) continue;
      for (const [k, v] of Object.entries(props)) S.map.setPaintProperty(layer, k, v);
    }
  }
  for (const m of S.markers.values()) m.key = ""; // redraw symbols (frame fill differs by style)
  renderTracks();
}
$("theme-toggle").addEventListener("click", () => {
  S.theme = S.theme === "dark" ? "light" : "dark";
  applyTheme();
});
function updateMute() {
  $("mute-toggle").textContent = S.muted ? "Unmute" : "Mute";
  $("mute-toggle").setAttribute("aria-pressed", String(S.muted));
}
$("mute-toggle").addEventListener("click", () => {
  S.muted = !S.muted;
  updateMute();
});
let audio = null;
function cue() {
  S.cues = (S.cues || 0) + 1;
  const fl = $("flash");
  fl.classList.add("on");
  setTimeout(() => fl.classList.remove("on"), 900);
  if (S.muted) return;
  try {
    audio = audio || new AudioContext();
    const o = audio.createOscillator();
    const g = audio.createGain();
    o.frequency.value = 880;
    g.gain.value = 0.15;
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.35);
  } catch {
    /* no audio device */
  }
}

// ---------------------------------------------------------------- map
function initMap() {
  const b = S.layers.bbox;
  const style = { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: THEMES[S.theme].paint.bg }] };
  const map = new maplibregl.Map({
    container: "map",
    style,
    bounds: [
      [b[0], b[1]],
      [b[2], b[3]],
    ],
    fitBoundsOptions: { padding: 20 },
    attributionControl: false, // the theatre's (long) attribution is in the side panel's "Map data" section
    maxPitch: 0,
  });
  S.map = map;
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("load", () => {
    for (const k of ["countries", "lakes", "rivers", "roads", "railways", "borders", "crossings", "assets"]) {
      map.addSource(k, { type: "geojson", data: S.layers[k] });
    }
    for (const k of ["trails", "leaders", "ellipses", "crossing-pred", "threat-lines"]) {
      map.addSource(k, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    }
    const th = THEMES[S.theme].paint;
    for (const l of baseLayers(S.layers.neighbours)) map.addLayer({ ...l, paint: { ...l.paint, ...(th[l.id] || {}) } });
    applyTheme();
    placeLabels();
    map.on("moveend", placeLabels);
    map.on("moveend", renderTracks);
    connect();
  });
}

// place names as HTML labels (no glyph server needed), decluttered in screen space, biggest first
let labelMarkers = [];
function placeLabels() {
  const map = S.map;
  for (const m of labelMarkers) m.remove();
  labelMarkers = [];
  const taken = [];
  const z = map.getZoom();
  const minPop = z < 7.5 ? 20000 : z < 8.5 ? 5000 : z < 9.5 ? 1500 : 0;
  for (const f of S.layers.places.features) {
    const p = f.properties;
    if (p.population < minPop) continue;
    const xy = map.project(f.geometry.coordinates);
    const w = p.name.length * 7.5 + 10;
    const box = [xy.x - w / 2, xy.y - 9, xy.x + w / 2, xy.y + 9];
    if (box[2] < 0 || box[0] > map.getContainer().clientWidth || box[3] < 0) continue;
    if (taken.some((t) => !(box[2] < t[0] || box[0] > t[2] || box[3] < t[1] || box[1] > t[3]))) continue;
    taken.push(box);
    const el = document.createElement("div");
    el.className = `place${p.population >= 20000 ? " big" : ""}${p.home ? "" : " foreign"}`;
    el.textContent = p.name;
    labelMarkers.push(new maplibregl.Marker({ element: el, anchor: "center" }).setLngLat(f.geometry.coordinates).addTo(map));
    if (labelMarkers.length >= 60) break;
  }
}

// ---------------------------------------------------------------- picture feed
function connect() {
  const proto = location.protocol === "https:" ? "wss" : "ws";
  let q = `token=${encodeURIComponent(S.token)}`;
  if (S.epoch) q += `&epoch=${S.epoch}&after=${S.seq}`;
  const ws = new WebSocket(`${proto}://${location.host}/api/v1/picture?${q}`);
  S.ws = ws;
  ws.onopen = () => setConn("live");
  ws.onmessage = (ev) => handle(ev.data);
  ws.onclose = (ev) => {
    setConn("down");
    if (ev.code === 4401) {
      sessionStorage.removeItem("bw.token");
      location.reload();
      return;
    }
    setTimeout(connect, 2000);
  };
}
// one WebSocket frame (also the entry point of bench/web_picture.py, which feeds synthetic frames)
function handle(text) {
  const msg = JSON.parse(text);
  if (msg.type === "snapshot") applySnapshot(msg);
  else if (msg.type === "delta") applyDelta(msg);
  S.serverOffset = msg.t - Date.now() / 1000;
  S.epoch = msg.epoch;
  S.seq = msg.seq;
  scheduleRender();
}
S.handle = handle;

function setConn(s) {
  S.live = s === "live";
  $("conn").textContent = s === "live" ? "live" : "reconnecting";
  $("conn").className = `conn ${s}`;
}

function applySnapshot(msg) {
  const p = msg.picture;
  S.tracks.clear();
  S.assess.clear();
  S.alerts.clear();
  S.recs.clear();
  S.engaged.clear();
  for (const t of p.tracks || []) upsertTrack(t);
  for (const a of p.assessments || []) S.assess.set(a.track, a);
  for (const a of p.alerts || []) S.alerts.set(a.id, a);
  for (const r of p.recommendations || []) S.recs.set(r.id, r);
  for (const e of p.engagements || []) S.engaged.set(e.track, e);
  for (const id of [...S.markers.keys()]) if (!S.tracks.has(id)) dropMarker(id);
}

function upsertTrack(t) {
  S.tracks.set(t.track, t);
  const tr = S.trails.get(t.track) || [];
  const last = tr[tr.length - 1];
  if (!last || last[0] !== t.lon || last[1] !== t.lat) tr.push([t.lon, t.lat]);
  if (tr.length > TRAIL_N) tr.shift();
  S.trails.set(t.track, tr);
}

function applyDelta(msg) {
  const d = msg.data;
  switch (msg.kind) {
    case "track":
      upsertTrack(d);
      break;
    case "track_dropped":
      S.tracks.delete(msg.id);
      S.assess.delete(msg.id);
      S.trails.delete(msg.id);
      dropMarker(msg.id);
      break;
    case "assessment":
      S.assess.set(d.track, d);
      break;
    case "alert": {
      const isNew = !S.alerts.has(d.id);
      S.alerts.set(d.id, d);
      if (isNew && d.kind === "predicted_crossing") cue();
      break;
    }
    case "recommendation":
      S.recs.set(d.id, d);
      break;
    case "engagement":
      S.engaged.set(d.track, d);
      break;
    case "decision":
      S.recs.delete(d.recommendation);
      break;
    default:
      break;
  }
}

function dropMarker(id) {
  const m = S.markers.get(id);
  if (m) m.marker.remove();
  S.markers.delete(id);
}

let renderQueued = false;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    renderTracks();
    renderAlerts();
    renderRecs();
    renderTable();
  });
}

// ---------------------------------------------------------------- tracks on the map
function speedOf(t) {
  const v = t.vel_enu_mps || [0, 0, 0];
  return Math.hypot(v[0], v[1]);
}
function topClass(t) {
  const a = S.assess.get(t.track);
  if (a && a.class) return a.class;
  let best = null;
  for (const [k, p] of Object.entries(t.class || {})) if (!best || p > best[1]) best = [k, p];
  return best ? best[0] : null;
}
function identityOf(t) {
  if (t.cooperative) return (S.assess.get(t.track) || {}).identity || "neutral";
  return (S.assess.get(t.track) || {}).identity || "unknown";
}
function offset(lon, lat, de, dn) {
  const k = 111320;
  return [lon + de / (k * Math.cos((lat * Math.PI) / 180)), lat + dn / k];
}

function renderTracks() {
  if (!S.map || !S.map.getSource("trails")) return;
  const trails = [];
  const leaders = [];
  const ellipses = [];
  const crossings = [];
  const threats = [];
  for (const t of S.tracks.values()) {
    const ident = identityOf(t);
    const cls = topClass(t);
    const v = t.vel_enu_mps || [0, 0, 0];
    const props = { track: t.track, identity: ident };
    const tr = S.trails.get(t.track);
    if (tr && tr.length > 1) trails.push({ type: "Feature", properties: props, geometry: { type: "LineString", coordinates: tr } });
    if (!isBird(cls)) {
      leaders.push({
        type: "Feature",
        properties: props,
        geometry: { type: "LineString", coordinates: [[t.lon, t.lat], offset(t.lon, t.lat, v[0] * 60, v[1] * 60)] },
      });
    }
    const c = t.cov_pos_enu_m2;
    if (c) ellipses.push({ type: "Feature", properties: props, geometry: { type: "Polygon", coordinates: [ellipse(t, c)] } });
    const a = S.assess.get(t.track);
    if (a && a.crossing && (ident === "hostile" || ident === "suspect")) {
      crossings.push({
        type: "Feature",
        properties: { ...props, label: `${t.track} ${fmtClock(a.crossing.t)}` },
        geometry: { type: "Point", coordinates: [a.crossing.lon, a.crossing.lat] },
      });
    }
    if (a && a.assets && a.assets.length && (ident === "hostile" || ident === "suspect")) {
      const at = S.assets.get(a.assets[0].asset);
      if (at) threats.push({ type: "Feature", properties: props, geometry: { type: "LineString", coordinates: [[t.lon, t.lat], at] } });
    }
  }
  // amplifiers (id, speed, altitude) only where they do not pile on a more important track's: hostile first
  const order = [...S.tracks.values()].sort(
    (a, b) => (ID_RANK[identityOf(a)] ?? 9) - (ID_RANK[identityOf(b)] ?? 9) || (a.track < b.track ? -1 : 1),
  );
  const boxes = [];
  for (const t of order) {
    const xy = S.map.project([t.lon, t.lat]);
    const box = [xy.x - 16, xy.y - 30, xy.x + 120, xy.y + 30];
    const free = !boxes.some((b) => !(box[2] < b[0] || box[0] > b[2] || box[3] < b[1] || box[1] > b[3]));
    if (free) boxes.push(box);
    drawSymbol(t, identityOf(t), topClass(t), speedOf(t), free);
  }
  const fc = (f) => ({ type: "FeatureCollection", features: f });
  S.map.getSource("trails").setData(fc(trails));
  S.map.getSource("leaders").setData(fc(leaders));
  S.map.getSource("ellipses").setData(fc(ellipses));
  S.map.getSource("crossing-pred").setData(fc(crossings));
  S.map.getSource("threat-lines").setData(fc(threats));
}

// 2-sigma (86 %) horizontal uncertainty ellipse from the east/north covariance
function ellipse(t, c) {
  const a = c[0][0];
  const b = c[0][1];
  const d = c[1][1];
  const tr = (a + d) / 2;
  const disc = Math.sqrt(Math.max(0, ((a - d) / 2) ** 2 + b * b));
  const l1 = tr + disc;
  const l2 = Math.max(0, tr - disc);
  const ang = 0.5 * Math.atan2(2 * b, a - d);
  const r1 = 2 * Math.sqrt(l1);
  const r2 = 2 * Math.sqrt(l2);
  const pts = [];
  for (let i = 0; i <= 24; i++) {
    const th = (i / 24) * 2 * Math.PI;
    const x = r1 * Math.cos(th);
    const y = r2 * Math.sin(th);
    pts.push(offset(t.lon, t.lat, x * Math.cos(ang) - y * Math.sin(ang), x * Math.sin(ang) + y * Math.cos(ang)));
  }
  return pts;
}

function drawSymbol(t, ident, cls, speed, labelled) {
  const eng = S.engaged.get(t.track);
  const state = eng ? (eng.outcome === "neutralised" || eng.neutralised ? "neutralised" : "engaged") : "";
  let m = S.markers.get(t.track);
  const bird = isBird(cls);
  const important = ident === "hostile" || ident === "suspect" || ident === "unknown";
  const amps = important && labelled;
  const kmh = Math.round(speed * 3.6);
  const alt = Math.round(t.alt_m || 0);
  const key = bird ? "bird" : `${ident}|${cls}|${state}|${labelled}|${amps ? `${kmh}|${alt}` : ""}|${S.theme}`;
  if (!m) {
    const root = document.createElement("div");
    const el = document.createElement("div");
    root.appendChild(el);
    el.addEventListener("click", () => centreOn(t.track));
    const marker = new maplibregl.Marker({ element: root, anchor: "center" }).setLngLat([t.lon, t.lat]).addTo(S.map);
    m = { marker, el, key: "" };
    S.markers.set(t.track, m);
  } else {
    m.marker.setLngLat([t.lon, t.lat]);
  }
  if (m.key === key) return;
  m.key = key;
  m.marker.getElement().style.zIndex = String(10 - (ID_RANK[ident] ?? 5)); // hostile on top
  m.el.dataset.track = t.track;
  m.el.dataset.identity = ident;
  m.el.dataset.cls = cls || "";
  m.el.title = `${t.track} ${ident} ${cls || "unknown class"}`;
  if (bird) {
    m.el.className = "bird";
    m.el.innerHTML = "";
    m.marker.setOffset([0, 0]);
    return;
  }
  const opts = {
    size: important ? 30 : 22,
    uniqueDesignation: labelled ? t.track : "",
    fill: true,
    frame: true,
    infoFields: true,
    infoColor: S.theme === "dark" ? "#e6edf3" : "#111111",
    outlineWidth: 3,
    outlineColor: S.theme === "dark" ? "#0b1016" : "#ffffff",
  };
  if (amps) {
    opts.speed = `${kmh} km/h`;
    opts.altitudeDepth = `${alt} m`;
    opts.type = ({ "fixed-wing UAV": "FW UAV", "rotary UAV": "RW UAV" })[sidcFor(ident, cls, state).label] || "";
  }
  const s = sidcFor(ident, cls, state);
  const sym = new ms.Symbol(s.sidc, opts);
  m.el.className = `sym ${state}`;
  m.el.dataset.sidc = s.sidc;
  m.el.innerHTML = sym.asSVG();
  // the symbol's anchor point is its centre of frame, not the centre of the SVG with its text amplifiers
  const a = sym.getAnchor();
  const sz = sym.getSize();
  m.marker.setOffset([sz.width / 2 - a.x, sz.height / 2 - a.y]);
}

function centreOn(trackId) {
  const t = S.tracks.get(trackId);
  if (t && S.map) S.map.easeTo({ center: [t.lon, t.lat], zoom: Math.max(S.map.getZoom(), 9) });
}

// ---------------------------------------------------------------- panels
const fmtClock = (t) => new Date(t * 1000).toISOString().slice(11, 19);
const now = () => Date.now() / 1000 + S.serverOffset;
function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

function renderAlerts() {
  const ul = $("alerts");
  const items = [...S.alerts.values()].sort((a, b) => !!a.acknowledged_by - !!b.acknowledged_by || b.t - a.t).slice(0, 30);
  $("n-alerts").textContent = `(${[...S.alerts.values()].filter((a) => !a.acknowledged_by).length} open)`;
  const sig = JSON.stringify(items.map((a) => [a.id, a.acknowledged_by || ""]));
  if (sig === S.alertSig) return;
  S.alertSig = sig;
  ul.innerHTML = items
    .map((a) => {
      const ack = a.acknowledged_by
        ? `<span class="acked-by">ack ${esc(a.acknowledged_by)}</span>`
        : S.me.can_decide
          ? `<button type="button" class="ack" data-alert="${esc(a.id)}" aria-label="acknowledge alert ${esc(a.id)}">Acknowledge</button>`
          : "";
      return `<li class="${esc(a.level)}${a.acknowledged_by ? " acked" : ""}" data-alert-item="${esc(a.id)}">
        <div><strong>${fmtClock(a.t)}</strong> <span class="id-${esc(a.identity)}">${esc(a.level.toUpperCase())}</span> ${esc(a.message)}</div>
        <div class="actions">${ack}</div></li>`;
    })
    .join("");
}
$("alerts").addEventListener("click", async (ev) => {
  const b = ev.target.closest("button.ack");
  if (!b) return;
  try {
    const out = await api(`/api/v1/alerts/${encodeURIComponent(b.dataset.alert)}/ack`, { method: "POST" });
    const a = S.alerts.get(b.dataset.alert);
    if (a) a.acknowledged_by = out.who;
    renderAlerts();
  } catch (e) {
    say(`Acknowledge refused: ${e.message}`, false);
  }
});

// the queue holds what can still be decided: a recommendation whose intercept window has closed leaves it
// (counted in the heading), the most urgent open window first
function pendingRecs() {
  const t = now();
  const all = [...S.recs.values()];
  const open = all.filter((r) => r.window_closes === undefined || r.window_closes === null || r.window_closes > t);
  S.expired = all.length - open.length;
  return open.sort((a, b) => (a.window_closes ?? a.t_intercept) - (b.window_closes ?? b.t_intercept));
}

function recBody(r) {
  const alts = (r.alternatives || [])
    .map((x) => `${esc(x.effector)} ${esc(x.unit)} (Pk ${x.pk}, ${Math.round(x.cost_eur).toLocaleString("en")} €): ${esc(x.not_chosen)}`)
    .join("<br>");
  return `<div class="head"><span>${esc(r.id)} · ${esc(r.track)}</span><span class="countdown" data-closes="${r.window_closes ?? ""}"></span></div>
    <dl>
      <dt>Effector</dt><dd>${esc(r.effector)} — ${esc(r.unit)}</dd>
      <dt>Intercept</dt><dd>${fmtClock(r.t_intercept)} UTC at ${r.intercept_lat?.toFixed(3) ?? "?"}, ${r.intercept_lon?.toFixed(3) ?? "?"}</dd>
      <dt>Pk · cost</dt><dd>${r.pk.toFixed(2)} · ${Math.round(r.cost_eur).toLocaleString("en")} € (expected ${Math.round(r.expected_cost_eur).toLocaleString("en")} €)</dd>
    </dl>
    ${alts ? `<div class="alts">beat: ${alts}</div>` : ""}`;
}

function recControls(r) {
  const id = esc(r.id);
  return `<button type="button" class="approve" data-rec="${id}" aria-label="approve recommendation ${id}">Approve (A)</button>
    <input class="reason" id="reason-${id}" data-rec="${id}" placeholder="reason (needed to reject)" aria-label="reason for rejecting recommendation ${id}">
    <button type="button" class="reject" data-rec="${id}" aria-label="reject recommendation ${id}">Reject (R)</button>`;
}

// the list is patched in place (one item per recommendation, its controls made once), so that a click, the
// focus or a reason being typed is never lost to the once-a-second updates
function renderRecs() {
  const ul = $("recs");
  const recs = pendingRecs();
  $("n-recs").textContent = `(${recs.length}${S.expired ? `; ${S.expired} with the window closed not shown` : ""})`;
  if (S.selected && !S.recs.has(S.selected)) S.selected = null;
  if (!S.selected && recs.length) S.selected = recs[0].id;
  const keep = new Set(recs.map((r) => r.id));
  for (const li of [...ul.children]) if (!keep.has(li.dataset.recItem)) li.remove();
  let prev = null;
  for (const r of recs) {
    let li = ul.querySelector(`li[data-rec-item="${CSS.escape(r.id)}"]`);
    if (!li) {
      li = document.createElement("li");
      li.className = "rec";
      li.dataset.recItem = r.id;
      li.tabIndex = 0;
      li.setAttribute("aria-label", `recommendation ${r.id} for track ${r.track}`);
      li.innerHTML = `<div class="rec-body"></div>${S.me.can_decide ? `<div class="actions">${recControls(r)}</div>` : ""}`;
    }
    const html = recBody(r);
    const body = li.querySelector(".rec-body");
    if (body.dataset.html !== html) {
      body.innerHTML = html;
      body.dataset.html = html;
    }
    li.classList.toggle("selected", r.id === S.selected);
    const want = prev ? prev.nextSibling : ul.firstChild;
    if (want !== li) ul.insertBefore(li, want);
    prev = li;
  }
  updateCountdowns();
}

function updateCountdowns() {
  const t = now();
  for (const el of document.querySelectorAll(".countdown")) {
    const c = parseFloat(el.dataset.closes);
    if (Number.isNaN(c)) {
      el.textContent = "";
      continue;
    }
    const left = c - t;
    el.textContent = left > 0 ? `window ${Math.floor(left / 60)}:${String(Math.floor(left % 60)).padStart(2, "0")}` : "window closed";
    el.classList.toggle("urgent", left < 60);
  }
  $("clock").textContent = S.live ? `${fmtClock(t)} UTC` : "";
}
setInterval(() => {
  updateCountdowns();
  if (S.me && document.querySelector(".countdown:not(.closed-done)")) {
    for (const el of document.querySelectorAll(".countdown")) if (el.textContent === "window closed") return renderRecs();
  }
}, 500);

function say(text, good) {
  const m = $("decision-msg");
  m.textContent = text;
  m.className = `msg ${good ? "good" : "bad"}`;
}

async function decide(recId, approve) {
  if (!S.me.can_decide) return;
  const input = document.querySelector(`input.reason[data-rec="${CSS.escape(recId)}"]`);
  const reason = input ? input.value.trim() : "";
  if (!approve && !reason) {
    // the API refuses it too (422); saying so here keeps the operator's loop on the keyboard
    say(`Refused: a rejection of ${recId} needs a reason — type it in the reason box, then press Enter`, false);
    if (input) input.focus();
    return;
  }
  try {
    const out = await api(`/api/v1/recommendations/${encodeURIComponent(recId)}/${approve ? "approve" : "reject"}`, {
      method: "POST",
      body: JSON.stringify(approve ? (reason ? { reason } : {}) : { reason }),
    });
    S.recs.delete(recId);
    say(`${approve ? "Approved" : "Rejected"} ${recId} (decision ${out.decision.id}, by ${out.decision.who})`, true);
    if (document.activeElement && document.activeElement.classList.contains("reason")) document.activeElement.blur();
    renderRecs();
  } catch (e) {
    say(`Refused: ${e.message}`, false);
    if (!approve && input) input.focus();
  }
}

$("recs").addEventListener("click", (ev) => {
  const b = ev.target.closest("button");
  if (b && b.dataset.rec) {
    decide(b.dataset.rec, b.classList.contains("approve"));
    return;
  }
  const li = ev.target.closest("li[data-rec-item]");
  if (li) select(li.dataset.recItem);
});
$("recs").addEventListener("keydown", (ev) => {
  if (ev.target.classList.contains("reason") && ev.key === "Enter") {
    ev.preventDefault();
    decide(ev.target.dataset.rec, false);
  }
});

function select(id) {
  S.selected = id;
  for (const li of document.querySelectorAll("#recs li")) li.classList.toggle("selected", li.dataset.recItem === id);
  const li = document.querySelector(`#recs li[data-rec-item="${CSS.escape(id)}"]`);
  if (li) li.focus();
}

document.addEventListener("keydown", (ev) => {
  if (!S.me || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const tag = (ev.target.tagName || "").toLowerCase();
  if (tag === "input") {
    if (ev.key === "Escape") ev.target.blur();
    return;
  }
  const recs = pendingRecs();
  const i = recs.findIndex((r) => r.id === S.selected);
  const key = ev.key.toLowerCase();
  if ((key === "j" || key === "k") && recs.length) {
    const n = key === "j" ? Math.min(recs.length - 1, i + 1) : Math.max(0, i - 1);
    select(recs[n].id);
    ev.preventDefault();
  } else if (key === "a" && S.selected && S.me.can_decide) {
    decide(S.selected, true);
    ev.preventDefault();
  } else if (key === "r" && S.selected && S.me.can_decide) {
    const input = document.querySelector(`input.reason[data-rec="${CSS.escape(S.selected)}"]`);
    if (input && input.value.trim()) decide(S.selected, false);
    else if (input) {
      say("Type the reason for the rejection, then press Enter", false);
      input.focus();
    }
    ev.preventDefault();
  } else if (key === "enter" && S.selected && ev.target.closest && ev.target.closest("#recs")) {
    const r = S.recs.get(S.selected);
    if (r) centreOn(r.track);
  }
});

// ---------------------------------------------------------------- track table
for (const b of document.querySelectorAll("#tracks th button")) {
  b.addEventListener("click", () => {
    const k = b.dataset.sort;
    S.sort = { key: k, dir: S.sort.key === k ? -S.sort.dir : 1 };
    renderTable();
  });
}
$("track-filter").addEventListener("input", () => renderTable());

function renderTable() {
  const tb = $("tracks").querySelector("tbody");
  if (tb.contains(document.activeElement) && performance.now() - (S.tableAt || 0) < 3000) return;
  S.tableAt = performance.now();
  const focusedTrack = tb.contains(document.activeElement) ? document.activeElement.dataset.track : null;
  const f = $("track-filter").value.trim().toLowerCase();
  const rows = [...S.tracks.values()].map((t) => ({
    track: t.track,
    identity: identityOf(t),
    cls: topClass(t) || "",
    speed: speedOf(t) * 3.6,
    alt: t.alt_m || 0,
  }));
  const shown = rows.filter((r) => !f || `${r.track} ${r.identity} ${r.cls}`.toLowerCase().includes(f));
  const { key, dir } = S.sort;
  shown.sort((a, b) => {
    const va = key === "identity" ? ID_RANK[a.identity] ?? 9 : a[key];
    const vb = key === "identity" ? ID_RANK[b.identity] ?? 9 : b[key];
    return (va < vb ? -1 : va > vb ? 1 : 0) * dir;
  });
  $("n-tracks").textContent = `(${shown.length}/${rows.length})`;
  tb.innerHTML = shown
    .slice(0, 200)
    .map(
      (r) => `<tr data-track="${esc(r.track)}" tabindex="0" aria-label="centre on ${esc(r.track)}">
      <td>${esc(r.track)}</td><td class="id-${esc(r.identity)}">${esc(r.identity)}</td><td>${esc(r.cls)}</td>
      <td>${Math.round(r.speed)}</td><td>${Math.round(r.alt)}</td></tr>`,
    )
    .join("");
  if (focusedTrack) tb.querySelector(`tr[data-track="${CSS.escape(focusedTrack)}"]`)?.focus();
}
$("tracks").addEventListener("click", (ev) => {
  const tr = ev.target.closest("tr[data-track]");
  if (tr) centreOn(tr.dataset.track);
});
$("tracks").addEventListener("keydown", (ev) => {
  const tr = ev.target.closest("tr[data-track]");
  if (tr && ev.key === "Enter") centreOn(tr.dataset.track);
});

if (S.token) start();
