// MapLibre layers of the theatre's base map and the live overlays, and the paint of the two styles.
// Text layers need no glyph server: without a `glyphs` URL MapLibre draws the glyphs with the system's fonts.
const NEIGHBOUR_COLOURS = ["#e8453c", "#f28e2b", "#b07aa1", "#59a14f", "#edc948", "#76b7b2"];

const identityColour = (dark) => [
  "match",
  ["get", "identity"],
  "hostile", dark ? "#ff3b3b" : "#c00000",
  "suspect", dark ? "#ff8a3d" : "#b85400",
  "neutral", dark ? "#4cd964" : "#137a10",
  "friend", dark ? "#3fa9ff" : "#005fbf",
  dark ? "#f2e600" : "#8a7a00",
];

function neighbourColour(neighbours) {
  const e = ["match", ["get", "neighbour"]];
  neighbours.forEach((n, i) => e.push(n, NEIGHBOUR_COLOURS[i % NEIGHBOUR_COLOURS.length]));
  e.push("#888888");
  return e;
}

export const FONT = ["DejaVu Sans"];
export const TRACK_LAYERS = ["tracks-low", "tracks-mid", "tracks-high"];
const LOW = ["neutral", "friend"];
const MID = ["unknown", "suspect"];

// one symbol layer per identity group, hostile on top: MapLibre places the labels of the upper layer first, so a
// hostile track keeps its label where labels would collide; the icon is always drawn, the label is optional
function trackLayer(id, filter) {
  return {
    id,
    type: "symbol",
    source: "tracks",
    filter,
    layout: {
      "icon-image": ["get", "icon"],
      "icon-allow-overlap": true,
      "icon-ignore-placement": false,
      "symbol-sort-key": ["get", "rank"],
      "text-field": ["get", "label"],
      "text-font": FONT,
      "text-size": ["case", ["get", "important"], 12, 11],
      "text-variable-anchor": ["left", "right", "top", "bottom"],
      "text-radial-offset": ["case", ["get", "important"], 1.5, 1.1],
      "text-justify": "auto",
      "text-optional": true,
      "text-padding": 3,
    },
    paint: { "icon-opacity": ["case", ["==", ["get", "state"], "neutralised"], 0.5, 1], "text-halo-width": 1.6 },
  };
}

export function baseLayers(neighbours) {
  return [
    // no fill outline: countries-line draws it already (one pass less per frame)
    { id: "countries-fill", type: "fill", source: "countries", paint: { "fill-antialias": false } },
    { id: "countries-line", type: "line", source: "countries", paint: { "line-width": 0.6 } },
    { id: "lakes", type: "fill", source: "lakes", paint: { "fill-antialias": false } },
    { id: "rivers", type: "line", source: "rivers", paint: { "line-width": 1 } },
    { id: "railways", type: "line", source: "railways", paint: { "line-width": 1.2, "line-dasharray": [3, 2] } },
    {
      id: "roads",
      type: "line",
      source: "roads",
      paint: { "line-width": ["match", ["get", "cls"], ["motorway", "trunk", "primary"], 1.6, 0.8] },
    },
    {
      id: "borders",
      type: "line",
      source: "borders",
      paint: { "line-color": neighbourColour(neighbours), "line-width": ["case", ["get", "watched"], 3.5, 2] },
    },
    {
      id: "assets",
      type: "circle",
      source: "assets",
      filter: ["!=", ["get", "kind"], "town"],
      paint: { "circle-radius": 3.5, "circle-stroke-width": 1.5 },
    },
    {
      id: "crossings",
      type: "circle",
      source: "crossings",
      paint: {
        "circle-radius": 5,
        "circle-color": ["match", ["get", "status"], "open", "#2fbf71", "suspended", "#f2b705", "#d7263d"],
        "circle-stroke-width": 1.5,
      },
    },
    { id: "ellipses", type: "fill", source: "ellipses", paint: { "fill-opacity": 0.12 } },
    { id: "ellipses-line", type: "line", source: "ellipses", paint: { "line-width": 0.8, "line-opacity": 0.6 } },
    { id: "threat-lines", type: "line", source: "threat-lines", paint: { "line-width": 1, "line-dasharray": [1, 2] } },
    { id: "trails", type: "line", source: "trails", paint: { "line-width": 2, "line-opacity": 0.55 } },
    { id: "leaders", type: "line", source: "leaders", paint: { "line-width": 2 } },
    {
      id: "crossing-pred",
      type: "circle",
      source: "crossing-pred",
      paint: { "circle-radius": 7, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 2.5 },
    },
    {
      id: "crossing-pred-label",
      type: "symbol",
      source: "crossing-pred",
      layout: {
        "text-field": ["get", "label"],
        "text-font": FONT,
        "text-size": 11,
        "text-anchor": "top",
        "text-offset": [0, 0.9],
        "text-optional": true,
      },
      paint: { "text-halo-width": 1.5 },
    },
    {
      id: "places",
      type: "symbol",
      source: "places",
      layout: {
        "text-field": ["get", "name"],
        "text-font": FONT,
        "text-size": ["step", ["get", "population"], 11, 20000, 13],
        "symbol-sort-key": ["-", 0, ["get", "population"]],
        "text-padding": 4,
      },
      paint: { "text-halo-width": 1.6 },
    },
    {
      id: "birds",
      type: "circle",
      source: "tracks",
      filter: ["get", "bird"],
      paint: { "circle-radius": 4, "circle-stroke-width": 1 },
    },
    {
      id: "tracks-engaged",
      type: "circle",
      source: "tracks",
      filter: ["==", ["get", "state"], "engaged"],
      paint: { "circle-radius": 19, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 3, "circle-stroke-color": "#ffcc00" },
    },
    trackLayer("tracks-low", ["all", ["!", ["get", "bird"]], ["in", ["get", "identity"], ["literal", LOW]]]),
    trackLayer("tracks-mid", ["all", ["!", ["get", "bird"]], ["in", ["get", "identity"], ["literal", MID]]]),
    trackLayer("tracks-high", ["all", ["!", ["get", "bird"]], ["==", ["get", "identity"], "hostile"]]),
  ];
}

// layers added on request or when the server has them (sensors, coverage, defence line, border sections)
export function extraLayers() {
  return [
    {
      id: "coverage",
      type: "fill",
      source: "coverage",
      layout: { visibility: "none" },
      paint: { "fill-opacity": 0.07, "fill-outline-color": "rgba(0,0,0,0)" },
    },
    { id: "coverage-line", type: "line", source: "coverage", layout: { visibility: "none" }, paint: { "line-width": 0.8, "line-opacity": 0.5 } },
    {
      id: "sections",
      type: "line",
      source: "sections",
      layout: { visibility: "none", "line-cap": "round" },
      paint: {
        "line-width": ["match", ["get", "level"], "critical", 9, "high", 7, "medium", 5, 4],
        "line-opacity": 0.55,
        "line-color": ["match", ["get", "level"], "critical", "#b00020", "high", "#ff3b3b", "medium", "#ffb020", "#3ccf6e"],
      },
    },
    { id: "defence-thin", type: "fill", source: "defence-thin_data", layout: { visibility: "none" }, paint: { "fill-opacity": 0.12, "fill-color": "#9a9a9a" } },
    { id: "defence-corridors", type: "line", source: "defence-corridors", layout: { visibility: "none" }, paint: { "line-width": 3, "line-opacity": 0.5, "line-color": "#d46bff" } },
    { id: "defence-routes", type: "line", source: "defence-routes", layout: { visibility: "none" }, paint: { "line-width": 1.5, "line-dasharray": [2, 1], "line-color": "#2fa8a0" } },
    {
      id: "defence-chokepoints",
      type: "circle",
      source: "defence-chokepoints",
      layout: { visibility: "none" },
      paint: { "circle-radius": 5, "circle-color": "#d46bff", "circle-stroke-width": 1.5, "circle-stroke-color": "#000000" },
    },
    {
      id: "defence-plan",
      type: "circle",
      source: "defence-plan",
      layout: { visibility: "none" },
      paint: { "circle-radius": 8, "circle-color": "rgba(0,0,0,0)", "circle-stroke-width": 3, "circle-stroke-color": "#ff00d4" },
    },
    {
      id: "defence-parks",
      type: "circle",
      source: "defence-parks",
      layout: { visibility: "none" },
      paint: { "circle-radius": 6, "circle-color": "#2fa8a0", "circle-stroke-width": 2, "circle-stroke-color": "#ffffff" },
    },
    {
      id: "defence-labels",
      type: "symbol",
      source: "defence-plan",
      layout: {
        visibility: "none",
        "text-field": ["concat", ["get", "id"], ["case", ["to-boolean", ["get", "closed_h"]], ["concat", " closed +", ["to-string", ["get", "closed_h"]], " h"], ""]],
        "text-font": FONT,
        "text-size": 11,
        "text-anchor": "top",
        "text-offset": [0, 1],
        "text-optional": true,
      },
      paint: { "text-halo-width": 1.5 },
    },
    {
      id: "sensors",
      type: "circle",
      source: "sensors",
      // small squares would need an image: small circles, a down sensor hollow with a red rim (a filled red dot
      // read as a hostile track in the night style)
      paint: {
        "circle-radius": ["match", ["get", "type"], "radar", 6, "adsb", 5, 2.5],
        "circle-color": ["match", ["get", "status"], "up", "#2fbf71", "late", "#f2b705", "down", "rgba(0,0,0,0)", "#7f8c99"],
        "circle-stroke-width": ["match", ["get", "status"], "down", 1.2, 0.8],
      },
    },
    {
      id: "effectors",
      type: "symbol",
      source: "effectors",
      layout: {
        "text-field": ["concat", "▲ ", ["get", "id"]],
        "text-font": FONT,
        "text-size": 11,
        "text-optional": true,
        "text-allow-overlap": false,
      },
      paint: { "text-halo-width": 1.5 },
    },
  ];
}

function paint(dark) {
  const id = identityColour(dark);
  return {
    bg: { "background-color": dark ? "#0b1016" : "#e9e4d8" },
    "countries-fill": {
      "fill-color": ["case", ["get", "home"], dark ? "#17222d" : "#fbf8f1", dark ? "#0f151c" : "#ddd7ca"],
    },
    "countries-line": { "line-color": dark ? "#34475a" : "#9a9385" },
    lakes: { "fill-color": dark ? "#10314a" : "#a9cbe6" },
    rivers: { "line-color": dark ? "#1d4f74" : "#6fa7d3" },
    railways: { "line-color": dark ? "#7a6a8f" : "#5b4a6e" },
    roads: { "line-color": dark ? "#4d5b68" : "#b08c5a" },
    assets: { "circle-color": dark ? "#c9a227" : "#7a5c00", "circle-stroke-color": dark ? "#0b1016" : "#ffffff" },
    crossings: { "circle-stroke-color": dark ? "#0b1016" : "#ffffff" },
    ellipses: { "fill-color": id },
    "ellipses-line": { "line-color": id },
    "threat-lines": { "line-color": id },
    trails: { "line-color": id },
    leaders: { "line-color": id },
    "crossing-pred": { "circle-stroke-color": id },
    "crossing-pred-label": { "text-color": id, "text-halo-color": dark ? "#0b1016" : "#ffffff" },
    places: {
      "text-color": ["case", ["get", "home"], dark ? "#e6edf3" : "#111111", dark ? "#8a99a8" : "#5a6370"],
      "text-halo-color": dark ? "#0b1016" : "#ffffff",
    },
    birds: { "circle-color": dark ? "#9fb0c0" : "#4a5563", "circle-stroke-color": dark ? "#0b1016" : "#ffffff" },
    "tracks-low": { "text-color": dark ? "#c9d4de" : "#222222", "text-halo-color": dark ? "#0b1016" : "#ffffff" },
    "tracks-mid": { "text-color": dark ? "#ffe680" : "#5c4a00", "text-halo-color": dark ? "#0b1016" : "#ffffff" },
    "tracks-high": { "text-color": dark ? "#ffb3b3" : "#8a0000", "text-halo-color": dark ? "#0b1016" : "#ffffff" },
    coverage: { "fill-color": dark ? "#4fb3ff" : "#0a5cad" },
    "coverage-line": { "line-color": dark ? "#4fb3ff" : "#0a5cad" },
    sensors: {
      "circle-stroke-color": ["match", ["get", "status"], "down", dark ? "#b3565e" : "#a01020", dark ? "#0b1016" : "#ffffff"],
    },
    effectors: { "text-color": dark ? "#7fd0ff" : "#004a8f", "text-halo-color": dark ? "#0b1016" : "#ffffff" },
    "defence-labels": { "text-color": dark ? "#ff9cf0" : "#7a0066", "text-halo-color": dark ? "#0b1016" : "#ffffff" },
  };
}

export const THEMES = { dark: { paint: paint(true) }, light: { paint: paint(false) } };
