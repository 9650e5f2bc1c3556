// borderwatch common operational picture: login, base map from the theatre, live tracks from the picture
// WebSocket, alert and recommendation queues, track table, sensor health, effector status, after-action review,
// border sections and events, defence line, offline tiles. Every request goes to the serving host only.
import * as maplibregl from "maplibre-gl";
import ms from "milsymbol";
import { THEMES, TRACK_LAYERS, baseLayers, extraLayers } from "./style.js";
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
  feat: new Map(), // track id -> GeoJSON feature of the "tracks" source
  changed: new Map(), // track id -> feature (or null: removed) not yet sent to the map
  dirty: { tracks: false, overlays: false, alerts: true, recs: true },
  overlayAt: 0,
  tracksAt: 0,
  show: { trails: true, ellipses: true, coverage: false, defence: true, sections: true, tiles: true },
  sensors: [],
  effectors: [],
  review: null, // after-action review state (null: live)
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
const DEFENCE = ["thin_data", "corridors", "routes", "chokepoints", "plan", "parks"];

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
  urgent();
  document.body.className = S.theme === "dark" ? "theme-dark" : "theme-light";
  $("theme-toggle").textContent = S.theme === "dark" ? "Day style" : "Night style";
  if (S.map && S.map.getLayer("bg")) {
    const th = THEMES[S.theme];
    for (const [layer, props] of Object.entries(th.paint)) {
      if (!S.map.getLayer(layer)) continue;
      for (const [k, v] of Object.entries(props)) S.map.setPaintProperty(layer, k, v);
    }
  }
  if (S.mapReady) {
    for (const k of S.icons.keys()) if (S.map.hasImage(k)) S.map.removeImage(k);
    S.icons.clear(); // symbols are drawn again for the style (outline colour)
    for (const id of S.tracks.keys()) updateFeature(id);
    renderTracks(true);
  }
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
function cue(alert) {
  S.cues = (S.cues || 0) + 1;
  if (alert) $("announce").textContent = `New predicted crossing: ${alert.message || alert.track || alert.id}`;
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
    // labels appear and give way at once: a fade would keep the map redrawing for 300 ms after every update
    fadeDuration: 0,
  });
  S.map = map;
  map.on("render", afterRender);
  coalesceRepaints(map);
  noteSoftwareGl(map);
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  map.on("load", async () => {
    for (const k of ["countries", "lakes", "rivers", "roads", "railways", "borders", "crossings", "assets", "places"]) {
      map.addSource(k, { type: "geojson", data: S.layers[k] });
    }
    const empty = () => ({ type: "geojson", data: { type: "FeatureCollection", features: [] } });
    for (const k of ["trails", "leaders", "ellipses", "crossing-pred", "threat-lines", "coverage", "sections", "sensors", "effectors"]) {
      map.addSource(k, empty());
    }
    for (const k of DEFENCE) map.addSource(`defence-${k}`, empty());
    map.addSource("tracks", { ...empty(), promoteId: "track" });
    const th = THEMES[S.theme].paint;
    const layers = [...baseLayers(S.layers.neighbours), ...extraLayers()];
    // the extra layers go under the tracks (the last three layers of the base list are the track symbols)
    const trackFirst = layers.findIndex((l) => l.id === "birds");
    const ordered = [...layers.slice(0, trackFirst), ...layers.slice(layers.length - extraLayers().length), ...layers.slice(trackFirst, layers.length - extraLayers().length)];
    for (const l of ordered) map.addLayer({ ...l, paint: { ...l.paint, ...(th[l.id] || {}) } });
    for (const id of TRACK_LAYERS) {
      map.on("click", id, (e) => e.features[0] && centreOn(e.features[0].properties.track));
      map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer"));
      map.on("mouseleave", id, () => (map.getCanvas().style.cursor = ""));
    }
    map.on("click", "sections", (e) => e.features[0] && selectSection(e.features[0].properties.id));
    S.mapReady = true;
    applyTheme();
    for (const id of S.tracks.keys()) updateFeature(id);
    connect();
    await Promise.all([loadTiles(), loadDefence(), loadSections(), pollSensors(), pollEffectors(), loadExtent()]);
    S.extrasReady = true;
  });
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
  if (p.effectors) S.effectors = p.effectors;
  S.feat.clear();
  for (const id of S.tracks.keys()) updateFeature(id);
  S.resetTracks = true;
  S.dirty.alerts = S.dirty.recs = S.dirty.effectors = true;
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
      updateFeature(d.track);
      break;
    case "track_dropped":
      S.tracks.delete(msg.id);
      S.assess.delete(msg.id);
      S.trails.delete(msg.id);
      updateFeature(msg.id);
      break;
    case "assessment":
      S.assess.set(d.track, d);
      if (S.tracks.has(d.track)) updateFeature(d.track);
      break;
    case "alert": {
      const isNew = !S.alerts.has(d.id);
      S.alerts.set(d.id, d);
      if (isNew && d.kind === "predicted_crossing") cue(d);
      S.dirty.alerts = true;
      break;
    }
    case "recommendation":
      S.recs.set(d.id, d);
      S.dirty.recs = true;
      break;
    case "engagement":
      S.engaged.set(d.track, d);
      if (S.tracks.has(d.track)) updateFeature(d.track);
      S.dirty.effectors = true;
      break;
    case "decision":
      S.recs.delete(d.recommendation);
      S.dirty.recs = true;
      break;
    default:
      break;
  }
}

// drawing is batched into the next animation frame; the panels that cost most (the track table, the effector
// list) at most once a second
let renderQueued = false;
const TABLE_MS = 1000;
function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    const t0 = performance.now();
    renderQueued = false;
    renderTracks();
    if (S.dirty.alerts) renderAlerts();
    if (S.dirty.recs) renderRecs();
    const t = performance.now();
    // on a slow map the panels are redrawn in the map's own (slow) frame, see afterRender; here only when the
    // map has not drawn for a while
    if (t - (S.panelsAt || 0) >= (slowMap() ? 2 * TABLE_MS : TABLE_MS)) {
      renderPanels(t);
    } else if (!S.panelTimer) {
      S.panelTimer = setTimeout(() => {
        S.panelTimer = null;
        scheduleRender();
      }, TABLE_MS);
    }
    if ((S.dirty.overlays || S.dirty.tracks) && !S.overlayTimer) {
      S.overlayTimer = setTimeout(() => {
        S.overlayTimer = null;
        scheduleRender();
      }, S.dirty.tracks ? trackInterval() : OVERLAY_MS);
    }
    if (S.flushTimes) S.flushTimes.push(performance.now() - t0); // bench/web_picture.py
  });
}

function renderPanels(t) {
  S.panelsAt = t;
  renderTable();
  if (S.dirty.effectors) renderEffectors();
}

// ---------------------------------------------------------------- track symbols: one image per distinct symbol
// A track is a point of the "tracks" GeoJSON source; its icon is a milsymbol drawing registered once per
// (SIDC, size, style) with map.addImage, its label (id, speed, altitude) a text-field: no DOM per track.
S.icons = new Map(); // image key -> {sidc, off}
function iconFor(sidc, size) {
  const key = `${sidc}|${size}|${S.theme}`;
  const have = S.icons.get(key);
  if (have) return [key, have.off];
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const sym = new ms.Symbol(sidc, {
    size,
    fill: true,
    frame: true,
    outlineWidth: 3,
    outlineColor: S.theme === "dark" ? "#0b1016" : "#ffffff",
  });
  // the image is padded so that the symbol's anchor (the centre of its frame, not of its bounding box) is the
  // image's centre: feature properties reach the worker as vector-tile values, where an offset array would not
  const src = sym.asCanvas(dpr);
  const a = sym.getAnchor();
  const ax = a.x * dpr;
  const ay = a.y * dpr;
  const w = Math.ceil(2 * Math.max(ax, src.width - ax));
  const h = Math.ceil(2 * Math.max(ay, src.height - ay));
  const canvas = document.createElement("canvas");
  canvas.width = w;
  canvas.height = h;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(src, Math.round(w / 2 - ax), Math.round(h / 2 - ay));
  const img = ctx.getImageData(0, 0, w, h);
  const off = [0, 0];
  if (S.map.hasImage(key)) S.map.removeImage(key);
  S.map.addImage(key, img, { pixelRatio: dpr });
  S.icons.set(key, { sidc, off });
  return [key, off];
}

function speedOf(t) {
  const v = t.vel_enu_mps || [0, 0, 0];
  return Math.hypot(v[0], v[1]);
}
function topClass(t, assess = S.assess) {
  const a = assess.get(t.track);
  if (a && a.class) return a.class;
  let best = null;
  for (const [k, p] of Object.entries(t.class || {})) if (!best || p > best[1]) best = [k, p];
  return best ? best[0] : null;
}
function identityOf(t, assess = S.assess) {
  if (t.cooperative) return (assess.get(t.track) || {}).identity || "neutral";
  return (assess.get(t.track) || {}).identity || "unknown";
}
function stateOf(id, engaged = S.engaged) {
  const e = engaged.get(id);
  if (!e) return "";
  if (e.outcome === "kill" || e.outcome === "neutralised") return "neutralised";
  return e.outcome === "miss" ? "" : "engaged";
}
function offset(lon, lat, de, dn) {
  const k = 111320;
  return [lon + de / (k * Math.cos((lat * Math.PI) / 180)), lat + dn / k];
}

// the GeoJSON feature of one track (kept per track and patched in place: a delta costs one feature, not a redraw)
function featureOf(t, assess, engaged) {
  const ident = identityOf(t, assess);
  const cls = topClass(t, assess);
  const state = stateOf(t.track, engaged);
  const bird = isBird(cls);
  const important = ident === "hostile" || ident === "suspect" || ident === "unknown";
  const props = { track: t.track, identity: ident, cls: cls || "", rank: ID_RANK[ident] ?? 9, state, bird, important };
  if (!bird && S.mapReady) {
    const s = sidcFor(ident, cls, state);
    const [icon] = iconFor(s.sidc, important ? 30 : 22);
    props.icon = icon;
    props.sidc = s.sidc;
    const kmh = Math.round(speedOf(t) * 3.6);
    const alt = Math.round(t.alt_m || 0);
    props.label = important ? `${t.track}\n${kmh} km/h · ${alt} m` : t.track;
  }
  return { type: "Feature", id: t.track, properties: props, geometry: { type: "Point", coordinates: [t.lon, t.lat] } };
}

function updateFeature(id) {
  const t = S.tracks.get(id);
  if (!t) {
    S.feat.delete(id);
    S.changed.set(id, null);
  } else {
    const f = featureOf(t, S.assess, S.engaged);
    S.feat.set(id, f);
    S.changed.set(id, f);
  }
  S.dirty.tracks = true;
  S.dirty.overlays = true;
}

function overlayFeatures(tracks, assess, trails) {
  const out = { trails: [], leaders: [], ellipses: [], crossings: [], threats: [] };
  for (const t of tracks) {
    const ident = identityOf(t, assess);
    const cls = topClass(t, assess);
    const v = t.vel_enu_mps || [0, 0, 0];
    const props = { track: t.track, identity: ident };
    const tr = trails.get(t.track);
    if (S.show.trails && tr && tr.length > 1) out.trails.push({ type: "Feature", properties: props, geometry: { type: "LineString", coordinates: tr } });
    if (!isBird(cls)) {
      out.leaders.push({
        type: "Feature",
        properties: props,
        geometry: { type: "LineString", coordinates: [[t.lon, t.lat], offset(t.lon, t.lat, v[0] * 60, v[1] * 60)] },
      });
    }
    const c = t.cov_pos_enu_m2;
    if (S.show.ellipses && c) out.ellipses.push({ type: "Feature", properties: props, geometry: { type: "Polygon", coordinates: [ellipse(t, c)] } });
    const a = assess.get(t.track);
    if (a && a.crossing && (ident === "hostile" || ident === "suspect")) {
      out.crossings.push({
        type: "Feature",
        properties: { ...props, label: `${t.track} ${fmtClock(a.crossing.t).slice(0, 5)}` },
        geometry: { type: "Point", coordinates: [a.crossing.lon, a.crossing.lat] },
      });
    }
    if (a && a.assets && a.assets.length && (ident === "hostile" || ident === "suspect")) {
      const at = S.assets.get(a.assets[0].asset);
      if (at) out.threats.push({ type: "Feature", properties: props, geometry: { type: "LineString", coordinates: [[t.lon, t.lat], at] } });
    }
  }
  return out;
}

const fc = (f) => ({ type: "FeatureCollection", features: f });
const OVERLAY_MS = 1000; // leaders, trails, ellipses, crossing points: redrawn at most once a second
// Every source update makes the map redraw (worker tiling, placement, a full WebGL frame). The track symbols are
// redrawn at most 4 times a second, and less often where one redraw is slow: without a GPU (software WebGL) one
// frame of a 1600 x 1000 map costs 300-400 ms, and redrawing 4 times a second would keep the page behind for ever.
// The interval is 3 times the measured cost of a redraw (from a map render to the start of the next frame, which
// waits for the GPU), between 250 ms and 1 s: tracks report at about 1 Hz, so nothing is lost at the slow end.
const TRACK_MS_MIN = 250;
const TRACK_MS_MAX = 1000;
S.drawCost = 0; // ms, moving average
function trackInterval() {
  return Math.min(TRACK_MS_MAX, Math.max(TRACK_MS_MIN, 3 * S.drawCost));
}
S.trackInterval = trackInterval; // bench/web_picture.py
// a source that is polled (sensors, coverage, effectors) is sent to the map only when it changed: each setData
// costs a redraw
const sentData = new Map(); // source id -> JSON last sent
function setDataIfChanged(id, data) {
  const text = JSON.stringify(data);
  if (sentData.get(id) === text) return;
  sentData.set(id, text);
  S.map.getSource(id).setData(data);
}

// While the camera is still, a slow map (one redraw costs more than SLOW_DRAW_MS: software WebGL) redraws at most
// once per track interval: a track update reaches the map as several worker results (the source's new data, then
// its tiles in two or three batches) and each would cost a full frame of its own; collected, they cost one. A pan,
// zoom or camera animation redraws every frame as usual, and a fast (GPU) map is never held back.
const SLOW_DRAW_MS = 50;
const slowMap = () => S.drawCost > SLOW_DRAW_MS;
// what a user did (a review seek, a layer or style switch, a forced redraw) is drawn at once: for URGENT_MS after
// it, every repaint goes through (the worker's results arrive over several frames)
const URGENT_MS = 2000;
S.urgentUntil = 0;
function urgent() {
  S.urgentUntil = performance.now() + URGENT_MS;
}
S.renderedAt = 0; // when the map last rendered
function coalesceRepaints(map) {
  const repaint = map.triggerRepaint.bind(map);
  let timer = null;
  map.triggerRepaint = () => {
    const gap = slowMap() && performance.now() > S.urgentUntil ? trackInterval() : 0;
    const wait = S.renderedAt + gap - performance.now();
    if (wait <= 0 || map.isMoving()) {
      if (timer) clearTimeout(timer);
      timer = null;
      repaint();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        repaint();
      }, wait);
    }
  };
}

// a browser without a GPU draws WebGL in software (SwiftShader, llvmpipe): say so in the header, since the map is
// then slow to redraw and pan (the redraw interval above adapts to it)
function noteSoftwareGl(map) {
  try {
    const gl = map.painter && map.painter.context && map.painter.context.gl;
    const ext = gl && gl.getExtension("WEBGL_debug_renderer_info");
    const name = ext ? String(gl.getParameter(ext.UNMASKED_RENDERER_WEBGL)) : "";
    S.glRenderer = name;
    $("gl-note").hidden = !/swiftshader|llvmpipe|softpipe|software/i.test(name);
  } catch {
    S.glRenderer = "";
  }
}
// after each map render: note its time, measure what it cost (from the render to the start of the next frame,
// which waits for the GPU; a moving average), and on a slow map redraw the track table and effector list in this
// same frame, so that a second's work costs one long frame, not two
function afterRender() {
  const t0 = performance.now();
  S.renderedAt = t0;
  if (slowMap() && t0 - (S.panelsAt || 0) >= TABLE_MS) renderPanels(t0);
  if (S.measuring) return;
  S.measuring = true;
  requestAnimationFrame((t1) => {
    S.measuring = false;
    const c = Math.max(0, t1 - t0);
    S.drawCost = S.drawCost ? 0.8 * S.drawCost + 0.2 * c : c;
  });
}

// draw what changed since the last frame (called from requestAnimationFrame)
function renderTracks(force = false) {
  if (!S.mapReady) return;
  const map = S.map;
  if (S.review) return renderReview(force);
  const t = performance.now();
  const due = S.dirty.tracks && t - S.tracksAt >= trackInterval();
  if (force) urgent();
  if (due || force) {
    // only the features that changed go to the worker (a diff), the whole set after a snapshot or a restyle
    const src = map.getSource("tracks");
    if (force || S.resetTracks) {
      src.setData(fc([...S.feat.values()]));
      S.resetTracks = false;
    } else if (S.changed.size) {
      const add = [];
      const remove = [];
      for (const [id, f] of S.changed) if (f) add.push(f);
      else remove.push(id);
      src.updateData({ add, remove });
    }
    S.changed.clear();
    S.dirty.tracks = false;
    S.tracksAt = t;
  }
  // the overlays go into the same redraw as the symbols when they are nearly due (one slow frame, not two)
  const overlaysDue = t - S.overlayAt >= (due ? OVERLAY_MS / 2 : OVERLAY_MS);
  if ((S.dirty.overlays && overlaysDue) || force) {
    drawOverlays(overlayFeatures(S.tracks.values(), S.assess, S.trails));
    S.overlayAt = t;
    S.dirty.overlays = false;
  }
}
function drawOverlays(o) {
  const map = S.map;
  map.getSource("trails").setData(fc(o.trails));
  map.getSource("leaders").setData(fc(o.leaders));
  map.getSource("ellipses").setData(fc(o.ellipses));
  map.getSource("crossing-pred").setData(fc(o.crossings));
  map.getSource("threat-lines").setData(fc(o.threats));
}

// the tracks the map draws, as rendered by MapLibre (for the browser tests: proof that a symbol is on screen)
S.rendered = () =>
  S.map
    .queryRenderedFeatures({ layers: TRACK_LAYERS })
    .map((f) => ({ track: f.properties.track, identity: f.properties.identity, sidc: f.properties.sidc, icon: f.properties.icon, lngLat: f.geometry.coordinates }));

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

function centreOn(trackId) {
  const t = S.review ? S.review.shown.get(trackId) : S.tracks.get(trackId);
  if (t && S.map) S.map.easeTo({ center: [t.lon, t.lat], zoom: Math.max(S.map.getZoom(), 9) });
}

// ---------------------------------------------------------------- panels
const fmtClock = (t) => new Date(t * 1000).toISOString().slice(11, 19);
const now = () => Date.now() / 1000 + S.serverOffset;
function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// the alert queue groups a track's open alerts into one line (its most severe, newest alert, with a count):
// a raid raises several alerts per drone, and one line per alert pushed the urgent ones out of sight
const LEVEL_ORDER = { alarm: 0, warning: 1, info: 2 };
function alertGroups() {
  const open = new Map();
  const acked = [];
  for (const a of S.alerts.values()) {
    if (a.acknowledged_by) {
      acked.push(a);
      continue;
    }
    const k = a.track || a.id;
    const g = open.get(k) || { key: k, items: [] };
    g.items.push(a);
    open.set(k, g);
  }
  const groups = [...open.values()].map((g) => {
    g.items.sort((a, b) => (LEVEL_ORDER[a.level] ?? 9) - (LEVEL_ORDER[b.level] ?? 9) || b.t - a.t);
    g.head = g.items[0];
    g.t = Math.max(...g.items.map((a) => a.t));
    return g;
  });
  groups.sort((a, b) => (LEVEL_ORDER[a.head.level] ?? 9) - (LEVEL_ORDER[b.head.level] ?? 9) || b.t - a.t);
  acked.sort((a, b) => b.t - a.t);
  return { groups, acked: acked.slice(0, 5) };
}

function renderAlerts() {
  S.dirty.alerts = false;
  const ul = $("alerts");
  const { groups, acked } = alertGroups();
  const nOpen = groups.reduce((n, g) => n + g.items.length, 0);
  $("n-alerts").textContent = `(${nOpen} open · ${groups.length} tracks)`;
  const shown = groups.slice(0, 40);
  const sig = JSON.stringify([shown.map((g) => [g.key, g.items.length, g.head.id]), acked.map((a) => a.id)]);
  if (sig === S.alertSig) return;
  S.alertSig = sig;
  const line = (a, n, ids) => {
    const more = n > 1 ? ` <span class="more">+${n - 1} more</span>` : "";
    const ack = a.acknowledged_by
      ? `<span class="acked-by">ack ${esc(a.acknowledged_by)}</span>`
      : S.me.can_decide
        ? `<button type="button" class="ack" data-alerts="${esc(ids.join(" "))}" aria-label="acknowledge ${n > 1 ? `${n} alerts of ${esc(a.track)}` : `alert ${esc(a.id)}`}">Ack</button>`
        : "";
    return `<li class="${esc(a.level)}${a.acknowledged_by ? " acked" : ""}" data-alert-item="${esc(a.id)}">
        <div><strong>${fmtClock(a.t)}</strong> <span class="lvl id-${esc(a.identity)}">${esc(a.level.toUpperCase())}</span> ${esc(a.message)}${more}</div>
        <div class="actions">${ack}</div></li>`;
  };
  ul.innerHTML =
    shown.map((g) => line(g.head, g.items.length, g.items.map((a) => a.id))).join("") +
    (groups.length > shown.length ? `<li class="info">${groups.length - shown.length} more tracks with open alerts (see the track table)</li>` : "") +
    acked.map((a) => line(a, 1, [a.id])).join("");
}
$("alerts").addEventListener("click", async (ev) => {
  const b = ev.target.closest("button.ack");
  if (!b) return;
  for (const id of b.dataset.alerts.split(" ")) {
    try {
      const out = await api(`/api/v1/alerts/${encodeURIComponent(id)}/ack`, { method: "POST" });
      const a = S.alerts.get(id);
      if (a) a.acknowledged_by = out.who;
    } catch (e) {
      say(`Acknowledge refused: ${e.message}`, false);
    }
  }
  renderAlerts();
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
      <dt>Pk · cost</dt><dd>${r.pk.toFixed(2)} · ${Math.round(r.cost_eur).toLocaleString("en")} € a shot; expected cost with the damage of a miss ${Math.round(r.expected_cost_eur).toLocaleString("en")} €</dd>
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
  S.dirty.recs = false;
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


// ---------------------------------------------------------------- side tabs (keyboard: Tab to a tab, Enter/Space, or ←/→)
const TABS = [...document.querySelectorAll('[role="tab"]')];
function showTab(btn) {
  for (const b of TABS) {
    const on = b === btn;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
    $(b.getAttribute("aria-controls")).hidden = !on;
  }
}
for (const b of TABS) {
  b.addEventListener("click", () => showTab(b));
  b.addEventListener("keydown", (ev) => {
    if (ev.key !== "ArrowRight" && ev.key !== "ArrowLeft") return;
    const shown = TABS.filter((x) => !x.hidden); // a hidden tab (border events without the register) takes no focus
    const i = shown.indexOf(b);
    const n = shown[(i + (ev.key === "ArrowRight" ? 1 : shown.length - 1)) % shown.length];
    showTab(n);
    n.focus();
    ev.preventDefault();
  });
}

// ---------------------------------------------------------------- sensor health (and the sensors on the map)
const SENSOR_MS = 5000;
async function pollSensors() {
  try {
    S.sensors = await api("/api/v1/sensors");
    renderSensors();
  } catch (e) {
    $("sensors-msg").textContent = `sensor health unavailable: ${e.message}`;
  }
  if (!S.sensorTimer) S.sensorTimer = setInterval(pollSensors, SENSOR_MS);
}
function circle(lon, lat, r) {
  const pts = [];
  for (let i = 0; i <= 48; i++) {
    const a = (i / 48) * 2 * Math.PI;
    pts.push(offset(lon, lat, r * Math.sin(a), r * Math.cos(a)));
  }
  return pts;
}
function renderSensors() {
  const xs = S.sensors;
  const n = { up: 0, late: 0, down: 0, never: 0 };
  for (const x of xs) n[x.status] = (n[x.status] || 0) + 1;
  $("n-sensors").textContent = `(${n.up} up · ${n.late} late · ${n.down} down${n.never ? ` · ${n.never} never` : ""})`;
  const rank = { down: 0, late: 1, never: 2, up: 3 };
  const rows = [...xs].sort((a, b) => rank[a.status] - rank[b.status] || (a.id < b.id ? -1 : 1));
  $("sensors").querySelector("tbody").innerHTML = rows
    .map(
      (x) => `<tr data-sensor="${esc(x.id)}"><td>${esc(x.id)}</td><td>${esc(x.type || "")}</td>
      <td class="health-${esc(x.status)}">${esc(x.status)}</td>
      <td>${x.last_report_t ? `${fmtClock(x.last_report_t)} (${Math.round(x.age_s)} s)` : "never"}</td>
      <td>${x.rate_hz.toFixed(2)}</td></tr>`,
    )
    .join("");
  if (!S.mapReady) return;
  const located = xs.filter((x) => x.lat !== null && x.lon !== null);
  setDataIfChanged("sensors",
    fc(located.map((x) => ({ type: "Feature", properties: { id: x.id, type: x.type, status: x.status }, geometry: { type: "Point", coordinates: [x.lon, x.lat] } }))),
  );
  setDataIfChanged("coverage",
    fc(
      located
        .filter((x) => x.coverage_m)
        .map((x) => ({ type: "Feature", properties: { id: x.id, type: x.type }, geometry: { type: "Polygon", coordinates: [circle(x.lon, x.lat, x.coverage_m)] } })),
    ),
  );
}

// ---------------------------------------------------------------- effector status (magazines, engagements in progress)
async function pollEffectors() {
  try {
    const out = await api("/api/v1/effectors");
    S.effectors = out.items;
    renderEffectors();
  } catch (e) {
    $("effectors-msg").textContent = `effector status unavailable: ${e.message}`;
  }
  if (!S.effTimer) S.effTimer = setInterval(pollEffectors, SENSOR_MS);
}
function renderEffectors() {
  S.dirty.effectors = false;
  const t = now();
  const running = [...S.engaged.values()].filter((e) => !e.outcome);
  const done = [...S.engaged.values()].filter((e) => e.outcome).sort((a, b) => b.t_intercept - a.t_intercept);
  $("n-effectors").textContent = `(${S.effectors.length} units · ${running.length} engaging)`;
  $("effectors").querySelector("tbody").innerHTML = S.effectors
    .map((u) => {
      const mag = typeof u.magazine === "object" && u.magazine !== null ? Object.entries(u.magazine).map(([k, v]) => `${k} ${v}`).join(", ") : String(u.magazine ?? "");
      return `<tr data-effector="${esc(u.id)}"><td>${esc(u.id)}</td><td>${esc(u.type)}</td><td>${esc(mag)}</td>
        <td>${u.busy}/${u.channels}</td></tr>`;
    })
    .join("");
  $("engagements").innerHTML =
    running
      .map((e) => `<li class="engaging" data-engagement="${esc(e.id)}"><strong>${esc(e.track)}</strong> ← ${esc(e.effector)} ${esc(e.unit)} · intercept ${fmtClock(e.t_intercept)} (${Math.max(0, Math.round(e.t_intercept - t))} s) · Pk ${e.pk}</li>`)
      .join("") +
    done
      .slice(0, 8)
      .map((e) => `<li class="done ${e.outcome === "kill" ? "kill" : "miss"}" data-engagement="${esc(e.id)}">${esc(e.track)} ← ${esc(e.unit)}: ${e.outcome === "kill" ? "neutralised" : "missed"} ${fmtClock(e.t_intercept)}</li>`)
      .join("");
  if (S.mapReady) {
    setDataIfChanged("effectors",
      fc(S.effectors.filter((u) => u.lat !== undefined).map((u) => ({ type: "Feature", properties: { id: u.id }, geometry: { type: "Point", coordinates: [u.lon, u.lat] } }))),
    );
  }
}

// ---------------------------------------------------------------- optional layers: offline tiles, defence line, border sections
function setVisible(ids, on) {
  urgent();
  for (const id of ids) if (S.map.getLayer(id)) S.map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
}
function toggle(id, key, layers, available = true) {
  const box = $(id);
  box.closest("label").hidden = !available;
  box.checked = S.show[key];
  box.onchange = () => {
    S.show[key] = box.checked;
    if (layers) setVisible(layers, box.checked);
    else renderTracks(true);
  };
  if (layers && available) setVisible(layers, box.checked);
}
toggle("show-trails", "trails");
toggle("show-ellipses", "ellipses");
function initToggles() {
  toggle("show-coverage", "coverage", ["coverage", "coverage-line"]);
}

async function loadTiles() {
  initToggles();
  const opt = S.layers.optional || {};
  if (!opt.tiles) return toggle("show-tiles", "tiles", null, false);
  const info = await api("/api/v1/tiles");
  S.tiles = info;
  const url = new URL(info.url.replace("{z}/{x}/{y}", "{z}/{x}/{y}"), location.href).href.replace("%7Bz%7D", "{z}").replace("%7Bx%7D", "{x}").replace("%7By%7D", "{y}");
  const src = { type: info.type, tiles: [url], minzoom: info.minzoom, maxzoom: info.maxzoom };
  if (info.bounds) src.bounds = info.bounds;
  if (info.type === "raster") src.tileSize = 256;
  S.map.addSource("offline", src);
  const ids = [];
  if (info.type === "raster") {
    S.map.addLayer({ id: "offline-raster", type: "raster", source: "offline", paint: { "raster-opacity": 0.85 } }, "countries-fill");
    ids.push("offline-raster");
  } else {
    for (const l of info.vector_layers) {
      for (const [kind, geom] of [["fill", "Polygon"], ["line", "LineString"]]) {
        const id = `offline-${l}-${kind}`;
        const paint = kind === "fill" ? { "fill-color": "#8a8a8a", "fill-opacity": 0.25 } : { "line-color": "#8a8a8a", "line-width": 0.8 };
        S.map.addLayer({ id, type: kind, source: "offline", "source-layer": l, filter: ["==", ["geometry-type"], geom], paint }, "countries-line");
        ids.push(id);
      }
    }
  }
  // the theatre's land fill is made see-through so the tiles show under the borders and tracks
  S.map.setPaintProperty("countries-fill", "fill-opacity", 0.35);
  toggle("show-tiles", "tiles", ids);
  $("tiles-info").textContent = `offline tiles: ${info.kind} ${info.type}, zoom ${info.minzoom}–${info.maxzoom}`;
}

const DEFENCE_LAYERS = ["defence-thin", "defence-corridors", "defence-routes", "defence-chokepoints", "defence-plan", "defence-parks", "defence-labels"];
async function loadDefence() {
  const opt = S.layers.optional || {};
  if (!opt.defence) {
    $("defence-summary").hidden = true;
    return toggle("show-defence", "defence", DEFENCE_LAYERS, false);
  }
  const d = await api("/api/v1/defence");
  S.defence = d;
  for (const k of DEFENCE) if (d.layers[k]) S.map.getSource(`defence-${k}`).setData(d.layers[k]);
  toggle("show-defence", "defence", DEFENCE_LAYERS);
  const p = d.plan;
  const counts = DEFENCE.filter((k) => d.layers[k]).map((k) => `${d.layers[k].features.length} ${k.replace("_", " ")}`);
  $("defence-summary").hidden = false;
  $("defence-summary").textContent = p
    ? `Defence plan (${p.indicator}, level ${p.readiness_level ?? "?"}): closed in ${p.makespan_h} h, ${p.status}; ${counts.join(", ")}`
    : `Defence line: ${counts.join(", ")}`;
}

async function hasPath(path) {
  if (!S.openapi) {
    try {
      S.openapi = await (await fetch("/openapi.json")).json();
    } catch {
      S.openapi = { paths: {} };
    }
  }
  return path in (S.openapi.paths || {});
}

// border sections and their events come from the border-event register (GET /api/v1/sections, /api/v1/events) when the
// service has it; without it the layer and the event list stay hidden
async function loadSections() {
  const avail = (await hasPath("/api/v1/sections")) && (await hasPath("/api/v1/events"));
  $("tab-events").hidden = !avail;
  toggle("show-sections", "sections", ["sections"], avail);
  if (!avail) return;
  try {
    S.sections = await api("/api/v1/sections");
    S.map.getSource("sections").setData(S.sections);
    setVisible(["sections"], S.show.sections);
    await pollEvents();
  } catch (e) {
    $("events-msg").textContent = `border sections unavailable: ${e.message}`;
    toggle("show-sections", "sections", ["sections"], false);
    return;
  }
  if (!S.eventTimer) S.eventTimer = setInterval(pollEvents, 30_000);
}
const LEVEL_RANK = { critical: 0, high: 1, medium: 2, low: 3 };
async function pollEvents() {
  const since = new Date((now() - 7 * 86400) * 1000).toISOString();
  let q = `since=${encodeURIComponent(since)}`;
  if (S.section) q += `&section=${encodeURIComponent(S.section)}`;
  try {
    S.events = await api(`/api/v1/events?${q}`);
  } catch (e) {
    $("events-msg").textContent = `events unavailable: ${e.message}`;
    return;
  }
  renderEvents();
}
function renderEvents() {
  const secs = (S.sections?.features || []).map((f) => f.properties).sort((a, b) => (LEVEL_RANK[a.level] ?? 9) - (LEVEL_RANK[b.level] ?? 9));
  $("section-list").innerHTML =
    `<option value="">all sections</option>` +
    secs.map((p) => `<option value="${esc(p.id)}"${p.id === S.section ? " selected" : ""}>${esc(p.name || p.id)} — ${esc(p.level)} (${p.events_7d ?? 0} in 7 d)</option>`).join("");
  const sel = secs.find((p) => p.id === S.section);
  $("section-detail").textContent = sel ? `${sel.name || sel.id} (${sel.unit || "?"}): ${sel.level} — ${sel.reason || ""}${sel.reaction ? `; reaction: ${sel.reaction}` : ""}` : "";
  const evs = [...(S.events || [])].sort((a, b) => (a.time < b.time ? 1 : -1)).slice(0, 100);
  $("n-events").textContent = `(${(S.events || []).length} in 7 d)`;
  $("events").innerHTML = evs
    .map((e) => `<li data-event="${esc(e.id)}"><strong>${esc(String(e.time).slice(0, 16).replace("T", " "))}</strong> ${esc(e.section)} · ${esc(e.kind)} · ${e.persons ?? "?"} persons · ${esc(e.outcome || "")} <span class="muted">${esc(e.status || "")} v${e.version ?? 1}</span></li>`)
    .join("");
}
function selectSection(id) {
  S.section = id || null;
  showTab($("tab-events"));
  pollEvents();
}
$("section-list").addEventListener("change", (ev) => selectSection(ev.target.value));

// ---------------------------------------------------------------- after-action review: scrub any past window of the store
async function loadExtent() {
  try {
    S.extent = await api("/api/v1/history/extent");
  } catch (e) {
    $("review-msg").textContent = `history unavailable: ${e.message}`;
    return;
  }
  const x = S.extent;
  const bar = $("review-time");
  bar.disabled = x.t_min === null;
  if (x.t_min !== null) {
    bar.min = String(Math.floor(x.t_min));
    bar.max = String(Math.ceil(x.t_max));
    if (!S.review) bar.value = bar.max;
    $("review-range").textContent = `store holds ${fmtDate(x.t_min)} – ${fmtDate(x.t_max)} (${x.track_points} track points)`;
  }
  if (!S.extentTimer) S.extentTimer = setInterval(() => !S.review && loadExtent(), 30_000);
}
const fmtDate = (t) => new Date(t * 1000).toISOString().slice(0, 19).replace("T", " ");

function bisect(arr, t) {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (arr[m].t <= t) lo = m + 1;
    else hi = m;
  }
  return lo - 1; // the last index with .t <= t (-1: none)
}

const REVIEW_LEAD_S = 30; // points this long before the cursor are fetched too (tracks present at the start)
async function reviewLoad(R, t0, t1) {
  const q = `t0=${t0}&t1=${t1}&kinds=track_points,assessments,alerts,decisions,engagements&limit=100000`;
  const h = await api(`/api/v1/history?${q}`);
  if (S.review !== R) return; // another time was asked for meanwhile
  for (const p of h.track_points) {
    const arr = R.points.get(p.track) || [];
    if (!arr.length || arr[arr.length - 1].t < p.t) arr.push(p);
    R.points.set(p.track, arr);
  }
  for (const a of h.assessments) {
    const arr = R.assess.get(a.track) || [];
    if (!arr.length || arr[arr.length - 1].t <= a.t) arr.push(a);
    R.assess.set(a.track, arr);
  }
  for (const a of h.alerts) R.log.push({ t: a.t, kind: "alert", text: `${(a.level || "").toUpperCase()} ${a.message}`, id: a.id });
  for (const d of h.decisions) R.log.push({ t: d.t, kind: "decision", text: `${d.approved ? "approved" : "rejected"} ${d.recommendation} by ${d.who}${d.reason ? ` (${d.reason})` : ""}`, id: d.id });
  for (const e of h.engagements) R.engagements.push(e);
  R.log.sort((a, b) => a.t - b.t);
  R.t1 = t1;
  R.drawn = null; // new points: the cursor's picture is drawn again (a live frame may have drawn it before they came)
}

async function startReview() {
  const c = parseFloat($("review-time").value);
  const w = parseFloat($("review-window").value);
  stopPlay();
  const R = { t0: c - REVIEW_LEAD_S, t1: c, window: w, cursor: c, points: new Map(), assess: new Map(), log: [], engagements: [], shown: new Map(), drawn: null };
  S.review = R;
  document.body.classList.add("reviewing");
  $("review-banner").hidden = false;
  $("review-msg").textContent = "loading …";
  try {
    await reviewLoad(R, c - REVIEW_LEAD_S, c + w);
  } catch (e) {
    $("review-msg").textContent = `Refused: ${e.message}`;
    return;
  }
  if (S.review !== R) return;
  $("review-msg").textContent = `${S.review.points.size} tracks in ${fmtDate(c)} + ${w / 60} min`;
  seek(c);
}
function seek(t) {
  const R = S.review;
  if (!R) return;
  R.cursor = t;
  $("review-time").value = String(Math.round(t));
  $("review-clock").textContent = `${fmtDate(t)} UTC`;
  $("review-banner").textContent = `AFTER-ACTION REVIEW ${fmtDate(t)} UTC — not live`;
  renderReview(true);
  const past = R.log.filter((x) => x.t <= t).slice(-40).reverse();
  $("review-log").innerHTML = past
    .map((x) => `<li><button type="button" class="seek ${x.kind}" data-t="${x.t}" aria-label="go to ${fmtClock(x.t)}: ${esc(x.text)}">${fmtClock(x.t)}</button> ${esc(x.text)}</li>`)
    .join("");
}
const STALE_S = 20; // a track with no point for this long before the cursor is not drawn
function renderReview(force = false) {
  const R = S.review;
  if (!R || (!force && R.drawn === R.cursor)) return;
  if (force) urgent();
  R.drawn = R.cursor;
  const c = R.cursor;
  const tracks = [];
  const assess = new Map();
  const trails = new Map();
  R.shown = new Map();
  for (const [id, arr] of R.points) {
    const i = bisect(arr, c);
    if (i < 0 || c - arr[i].t > STALE_S) continue;
    const t = { ...arr[i], track: id };
    tracks.push(t);
    R.shown.set(id, t);
    const tr = [];
    for (let k = Math.max(0, i - TRAIL_N + 1); k <= i; k++) tr.push([arr[k].lon, arr[k].lat]);
    trails.set(id, tr);
    const as = R.assess.get(id);
    if (as) {
      const j = bisect(as, c);
      if (j >= 0) assess.set(id, as[j]);
    }
  }
  const engaged = new Map();
  for (const e of R.engagements) if (e.t_launch <= c) engaged.set(e.track, { ...e, outcome: e.t_intercept <= c ? e.outcome : null });
  S.map.getSource("tracks").setData(fc(tracks.map((t) => featureOf(t, assess, engaged))));
  drawOverlays(overlayFeatures(tracks, assess, trails));
  $("n-review").textContent = `(${tracks.length} tracks at the cursor)`;
}
let playTimer = null;
const PLAY_TICK_MS = 200;
function stopPlay() {
  if (playTimer) clearInterval(playTimer);
  playTimer = null;
  $("review-play").textContent = "Play";
  $("review-play").setAttribute("aria-pressed", "false");
}
async function play() {
  if (!S.review) await startReview();
  if (!S.review || playTimer) return stopPlay();
  $("review-play").textContent = "Pause";
  $("review-play").setAttribute("aria-pressed", "true");
  let loading = false;
  playTimer = setInterval(async () => {
    const R = S.review;
    if (!R) return stopPlay();
    const speed = parseFloat($("review-speed").value);
    const next = R.cursor + (PLAY_TICK_MS / 1000) * speed;
    if (S.extent && next > S.extent.t_max) return stopPlay();
    if (next > R.t1 - 5 && !loading) {
      loading = true; // the next window is fetched before the cursor reaches the end of this one
      try {
        await reviewLoad(R, R.t1, R.t1 + R.window);
      } catch (e) {
        $("review-msg").textContent = `Refused: ${e.message}`;
        stopPlay();
      }
      loading = false;
    }
    if (next <= R.t1) seek(next);
  }, PLAY_TICK_MS);
}
function backToLive() {
  stopPlay();
  S.review = null;
  document.body.classList.remove("reviewing");
  $("review-banner").hidden = true;
  $("review-msg").textContent = "";
  $("review-log").innerHTML = "";
  loadExtent();
  renderTracks(true);
}
$("review-load").addEventListener("click", () => startReview());
$("review-play").addEventListener("click", () => play());
$("review-live").addEventListener("click", () => backToLive());
$("review-time").addEventListener("input", (ev) => {
  const t = parseFloat(ev.target.value);
  $("review-clock").textContent = `${fmtDate(t)} UTC`;
  if (S.review && t >= S.review.t0 + REVIEW_LEAD_S && t <= S.review.t1) seek(t);
});
$("review-time").addEventListener("change", (ev) => {
  const t = parseFloat(ev.target.value);
  if (S.review && (t < S.review.t0 + REVIEW_LEAD_S || t > S.review.t1)) startReview();
});
$("review-time").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter") startReview();
});
$("review-log").addEventListener("click", (ev) => {
  const b = ev.target.closest("button.seek");
  if (b) seek(parseFloat(b.dataset.t));
});

if (S.token) start();
