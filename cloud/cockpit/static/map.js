// The geographic map (MapLibre GL JS, served from /shared/vendor): the site, zones, lines and clustered cameras as
// GeoJSON layers over an optional basemap. Labels are symbol layers, so MapLibre's collision detection keeps them
// apart; cameras cluster at low zoom; the search box and the state filters narrow what is drawn.
import { LngLatBounds, Map as GlMap, prewarm, ScaleControl } from "/shared/vendor/maplibre-gl/maplibre-gl.mjs";
import { byId } from "/shared/dom.js";
import * as basemap from "./basemap.js";
import { mapShapes, mapValues, shownShapes, sourceData, valueChanges } from "./mapdata.js";
import { set } from "./store.js";
import { ZoomControl } from "./zoom.js";

const COLORS = { online: "#2ea043", degraded: "#d29922", unreliable: "#a371f7", silent: "#f85149", never_seen: "#0d1117",
  ok: "#2ea043", warn: "#d29922", over: "#f85149", stale: "#6e7681", flow: "#39c5cf", text: "#e6edf3", halo: "#0d1117" };
// The labels' source goes to the worker last: its layers are added only once the first map has been drawn.
const SOURCES = ["site", "zones", "lines", "cameras", "labels"];
let gl = null, loaded = false, fitted = false, latest = null, selectedId = null;

// MapLibre's worker (half a megabyte of script) starts loading now, while the operator logs in, rather than once the
// site's data has arrived: the first map then waits only for its own tiles.
prewarm();

const match = (prop, table, fallback) => ["match", ["get", prop], ...Object.entries(table).flat(), fallback];
// Zones' occupancy and lines' crossings are feature state: a live update changes them without re-tiling a source.
const occupancyColour = (table) => ["match", ["to-string", ["feature-state", "occupancy"]], ...Object.entries(table).flat(), COLORS.stale];
const crossings = ["to-number", ["feature-state", "crossings"], 0];
// Zone and line labels only once the view is close enough to tell them apart: over a whole city they would be
// thousands of labels fighting for the same pixels, and MapLibre's collision work for them would run on every frame.
const LABELS_MINZOOM = 15;
const label = (extra) => ({ "text-color": COLORS.text, "text-halo-color": COLORS.halo, "text-halo-width": 1.6, ...extra });

// Marks and labels grow with the page's type, so the wall's map reads from across the room at any resolution.
const SCALE = Math.max(1, parseFloat(getComputedStyle(document.documentElement).fontSize) / 16);
const px = (n) => Math.round(n * SCALE * 10) / 10;

function layers() {
  const states = { online: COLORS.online, degraded: COLORS.degraded, unreliable: COLORS.unreliable, silent: COLORS.silent, never_seen: COLORS.never_seen };
  const occupancy = { ok: COLORS.ok, warn: COLORS.warn, over: COLORS.over, stale: COLORS.stale };
  // The site's outline, the zones' edges and the counting lines share one paint, and so do groups and single cameras,
  // each value chosen per feature (by its kind, or whether it is a group): MapLibre then compiles one line shader and
  // one circle shader rather than one per layer, and on a software GPU a shader is a tenth of a second of the first render.
  const kind = (site, zone, line) => ["match", ["get", "kind"], "site", site, "zone", zone, line];
  const edges = {
    "line-color": kind("#2a313c", occupancyColour(occupancy), ["case", [">", crossings, 0], COLORS.flow, COLORS.stale]),
    "line-width": kind(2, 1.5, ["+", 3, ["min", 8, ["*", 1.2, ["ln", ["+", 1, crossings]]]]]),
  };
  const group = ["has", "point_count"], selected = ["boolean", ["feature-state", "selected"], false];
  const circles = {
    "circle-color": ["case", group, ["case", [">", ["get", "bad"], 0], COLORS.degraded, COLORS.online], match("state", states, COLORS.never_seen)],
    "circle-radius": ["case", group, ["step", ["get", "point_count"], px(16), 10, px(20), 50, px(26), 200, px(32)], px(8)],
    "circle-stroke-color": ["case", group, COLORS.halo, ["==", ["get", "state"], "never_seen"], "#8b949e", selected, "#fff", COLORS.halo],
    "circle-stroke-width": ["case", group, 2, selected, 3, 2],
  };
  return [
    { id: "site-outline", type: "line", source: "site", paint: edges },
    { id: "zones-fill", type: "fill", source: "zones", paint: { "fill-color": occupancyColour(occupancy), "fill-opacity": 0.4 } },
    { id: "zones-edge", type: "line", source: "zones", paint: edges },
    { id: "lines", type: "line", source: "lines", layout: { "line-cap": "round" }, paint: edges },
    { id: "selected-shape", type: "line", source: "zones", filter: ["==", ["get", "key"], ""], paint: { "line-color": "#fff", "line-width": 3 } },
    { id: "selected-line", type: "line", source: "lines", filter: ["==", ["get", "key"], ""], paint: { "line-color": "#fff", "line-width": 7, "line-opacity": 0.6 } },
    { id: "clusters", type: "circle", source: "cameras", filter: ["has", "point_count"], paint: { ...circles, "circle-opacity": 0.85 } },
    { id: "cameras", type: "circle", source: "cameras", filter: ["!", ["has", "point_count"]], paint: circles },
  ];
}

// Labels: symbol layers never draw two labels over each other. The layer drawn last is placed first, so camera
// names win over zone and line labels, and within the labels an over-capacity zone wins over a quiet line. They go on
// top of the shapes once the first map with its cameras has been drawn (showLabels): their glyphs, placement and
// shaders would otherwise all come before the first picture, which on a software GPU is most of a second.
function labelLayers() {
  return [
    { id: "labels", type: "symbol", source: "labels", minzoom: LABELS_MINZOOM,
      layout: { "text-field": ["get", "label"], "text-size": ["match", ["get", "kind"], "zone", px(13), px(12)], "text-font": ["DejaVu Sans Bold"],
        "text-padding": 3, "symbol-sort-key": ["get", "priority"], "text-variable-anchor": ["center", "top", "bottom", "left", "right"], "text-radial-offset": 0.6 },
      paint: label({ "text-color": ["match", ["get", "kind"], "line", COLORS.flow, COLORS.text] }) },
    { id: "camera-labels", type: "symbol", source: "cameras", filter: ["!", ["has", "point_count"]],
      layout: { "text-field": ["get", "name"], "text-size": px(15), "text-font": ["DejaVu Sans Bold"], "text-variable-anchor": ["bottom", "top", "left", "right"],
        "text-radial-offset": 0.9, "text-padding": 3 },
      paint: label({}) },
    { id: "cluster-count", type: "symbol", source: "cameras", filter: ["has", "point_count"],
      layout: { "text-field": ["to-string", ["get", "point_count"]], "text-size": px(14), "text-font": ["DejaVu Sans Bold"], "text-allow-overlap": true },
      paint: { "text-color": "#06121f" } },
  ];
}

function style() {
  const empty = { type: "geojson", data: { type: "FeatureCollection", features: [] } };
  const sources = { site: empty, zones: empty, lines: empty, labels: empty,
    cameras: { ...empty, cluster: true, clusterRadius: 45, clusterMaxZoom: 16, clusterProperties: { bad: ["+", ["get", "bad"]] } } };
  // No background layer: the page paints #map's ground (app.css) under the canvas, which costs no shader.
  return { version: 8, sources, layers: layers() };
}

// A click selects what was clicked, and the history chart follows its camera (and line); a cluster zooms in.
function onClick(e) {
  const [hit] = gl.queryRenderedFeatures(e.point, { layers: ["clusters", "cameras", "lines", "zones-fill"] });
  if (!hit) return;
  const p = hit.properties;
  if (hit.layer.id === "clusters") {
    gl.getSource("cameras").getClusterExpansionZoom(p.cluster_id).then((zoom) => gl.easeTo({ center: hit.geometry.coordinates, zoom }));
    return;
  }
  const kind = hit.layer.id === "cameras" ? "camera" : hit.layer.id === "lines" ? "line" : "zone";
  const sel = { kind, key: p.key, camera: p.camera };
  if (kind === "line") sel.line = p.id;
  if (kind === "zone") sel.zone = p.id;
  set({ selected: sel, histCamera: sel.camera, histLine: kind === "line" ? p.id : null });
}

// The view, for whoever needs to know where a place is drawn (the browser tests, a bookmark).
function publishView() {
  const c = gl.getCenter(), el = byId("map");
  el.dataset.view = JSON.stringify({ lon: c.lng, lat: c.lat, zoom: gl.getZoom(), width: el.clientWidth, height: el.clientHeight });
}

// How the cameras are drawn once the map has settled (no tile still loading, so none is drawn twice): the groups,
// the cameras in them and the cameras on their own.
function publishDrawn() {
  const groups = new Map(), alone = new Set();
  for (const f of gl.queryRenderedFeatures({ layers: ["clusters", "cameras"] })) {
    if (f.properties.cluster_id === undefined) alone.add(f.id); else groups.set(f.properties.cluster_id, f.properties.point_count);
  }
  byId("map").dataset.drawn = JSON.stringify({ clusters: groups.size, clustered: [...groups.values()].reduce((s, n) => s + n, 0),
    unclustered: alone.size });
}

// Labels appear at once rather than fading in: a fade redraws the map for 300 ms after every live update.
const OPTIONS = { container: "map", fadeDuration: 0 };

function create(map) {
  const base = map.basemap || { type: "none" };
  gl = new GlMap({ ...OPTIONS, ...basemap.options(base, style()) });
  gl.addControl(new ZoomControl(), "top-right");
  gl.addControl(new ScaleControl({ unit: "metric", maxWidth: 160 }), "bottom-left");
  gl.on("load", () => {
    basemap.loaded(gl, base, style());
    loaded = true;
    if (latest) { draw(latest.shapes, latest.values); select(latest.key); }
  });
  gl.on("click", onClick);
  for (const id of ["clusters", "cameras", "lines", "zones-fill"]) {
    gl.on("mouseenter", id, () => { gl.getCanvas().style.cursor = "pointer"; });
    gl.on("mouseleave", id, () => { gl.getCanvas().style.cursor = ""; });
  }
  gl.on("moveend", publishView);
  gl.on("resize", publishView);
  gl.on("idle", publishDrawn);
  // Ready once the cameras are placed at the fitted view (a software GPU may take long to go fully idle). Only once:
  // the view reads the element's size, which would force a layout on every live update.
  gl.on("sourcedata", (e) => {
    if (e.sourceId === "cameras" && e.isSourceLoaded && fitted && !byId("map").dataset.ready) {
      publishView(); byId("map").dataset.ready = "1";
      gl.once("idle", showLabels);
    }
  });
}

function showLabels() {
  for (const layer of labelLayers()) gl.addLayer(layer);
}

function fit(data) {
  const bounds = new LngLatBounds();
  for (const fc of [data.site, data.cameras, data.zones, data.lines]) for (const f of fc.features) {
    const c = f.geometry.coordinates, flat = f.geometry.type === "Point" ? [c] : f.geometry.type === "LineString" ? c : c[0];
    for (const p of flat) bounds.extend(p);
  }
  if (!bounds.isEmpty()) gl.fitBounds(bounds, { padding: 60, maxZoom: 19, duration: 0 });
  fitted = !bounds.isEmpty();
}

// The shapes go to MapLibre's worker only when the site, the search or the filters change what is drawn; a live
// update sends only the values that changed: a few cameras' states and labels, and feature state for zones and lines.
let sentShapes = null, sentValues = null, selectedKey;

function sendAll(shapes, values) {
  const data = sourceData(shapes, values);
  for (const id of SOURCES) gl.getSource(id).setData(data[id]);
  for (const [id, occupancy] of values.zones) gl.setFeatureState({ source: "zones", id }, { occupancy });
  for (const [id, crossings] of values.lines) gl.setFeatureState({ source: "lines", id }, { crossings });
  if (!fitted) fit(data);
}

function sendChanges(values) {
  const changes = valueChanges(sentValues, values);
  if (changes.cameras.length) gl.getSource("cameras").updateData({ update: changes.cameras });
  if (changes.labels.length) gl.getSource("labels").updateData({ update: changes.labels });
  for (const [id, state] of changes.zones) gl.setFeatureState({ source: "zones", id }, state);
  for (const [id, state] of changes.lines) gl.setFeatureState({ source: "lines", id }, state);
}

function draw(shapes, values) {
  const same = sentShapes && shapes.length === sentShapes.length && shapes.every((s, i) => s === sentShapes[i]);
  if (same) sendChanges(values); else sendAll(shapes, values);
  sentShapes = shapes; sentValues = values;
}

function select(key) {
  if (key === selectedKey) return;
  selectedKey = key;
  if (selectedId !== null) gl.removeFeatureState({ source: "cameras", id: selectedId }, "selected");
  const hit = sentShapes.find((s) => s.kind === "camera" && s.camera === key);
  selectedId = hit ? hit.id : null;
  if (selectedId !== null) gl.setFeatureState({ source: "cameras", id: selectedId }, { selected: true });
  gl.setFilter("selected-shape", ["==", ["get", "key"], key || ""]);
  gl.setFilter("selected-line", ["==", ["get", "key"], key || ""]);
}

export function render(state) {
  const { map } = state;
  if (!map || !map.geojson) return;
  if (!gl) create(map);
  const { shapes: searched, total } = mapShapes(map, state.mapQuery);
  const values = mapValues(state, searched);
  const shapes = shownShapes(searched, values, new Set(state.mapHidden));
  const status = byId("map-status"), text = `${shapes.filter((s) => s.kind === "camera").length} of ${total} cameras`;
  if (status.textContent !== text) status.textContent = text;
  latest = { shapes, values, key: state.selected ? state.selected.key : null };
  if (!loaded) return;
  draw(shapes, values);
  select(latest.key);
}

// The search box and the state filters change only the store; render draws what they leave.
export function bind() {
  byId("map-search").addEventListener("input", (e) => set({ mapQuery: e.target.value }));
  for (const box of document.querySelectorAll("#map-filters input[data-state]")) {
    box.addEventListener("change", () => set({ mapHidden: [...document.querySelectorAll("#map-filters input[data-state]")]
      .filter((b) => !b.checked).map((b) => b.dataset.state) }));
  }
}
