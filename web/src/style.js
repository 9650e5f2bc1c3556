// MapLibre layers of the theatre's base map and the live overlays, and the paint of the two styles.
// No text layers: the map needs no glyph server (place names are HTML labels in the system font).
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

export function baseLayers(neighbours) {
  return [
    { id: "countries-fill", type: "fill", source: "countries", paint: {} },
    { id: "countries-line", type: "line", source: "countries", paint: { "line-width": 0.6 } },
    { id: "lakes", type: "fill", source: "lakes", paint: {} },
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
  };
}

export const THEMES = { dark: { paint: paint(true) }, light: { paint: paint(false) } };
