// The map's GeoJSON, in two parts: the shapes (the site's features from GET /api/map, searched, with stable ids), which
// change only with the site or the search, and the values the live data or the scrubbed instant gives each of them
// (camera state, zone occupancy, line crossings, label text), which change with every update. The map sends the
// shapes to MapLibre once and then only the values that changed.
import { shownValues } from "./values.js";

const METRES_PER_DEGREE = 111195;

function zoneClass(total, stale, capacity) {
  if (stale || total === null || total === undefined) return "stale";
  if (!capacity) return "ok";
  const ratio = total / capacity;
  return ratio > 1 ? "over" : ratio >= 0.7 ? "warn" : "ok";
}

// Zones and lines with no position are drawn in a ring around their camera, so they can still be seen and clicked.
function around([lon, lat], index, kind) {
  const k = METRES_PER_DEGREE, c = Math.cos(lat * Math.PI / 180), a = index * 2.1 + (kind === "zone" ? 0.6 : 2.2);
  const at = (dx, dy) => [lon + dx / (k * c), lat + dy / k];
  const cx = Math.cos(a) * 12, cy = Math.sin(a) * 12;
  if (kind === "line") return { type: "LineString", coordinates: [at(cx - Math.sin(a) * 5, cy + Math.cos(a) * 5), at(cx + Math.sin(a) * 5, cy - Math.cos(a) * 5)] };
  const s = 4.5;
  return { type: "Polygon", coordinates: [[at(cx - s, cy - s), at(cx + s, cy - s), at(cx + s, cy + s), at(cx - s, cy + s), at(cx - s, cy - s)]] };
}

// Where a zone's or a line's label goes: the middle of its outline or of its line.
function anchor(geometry) {
  const pts = geometry.type === "Polygon" ? geometry.coordinates[0].slice(0, -1) : geometry.coordinates;
  return [pts.reduce((s, p) => s + p[0], 0) / pts.length, pts.reduce((s, p) => s + p[1], 0) / pts.length];
}

function matches(p, query) {
  if (!query) return true;
  return [p.camera, p.id, p.name].some((v) => v && String(v).toLowerCase().includes(query));
}

// Every placed feature of the site, with a ring position for the unplaced zones and lines and an id that stays the
// same whatever the search: its place in GET /api/map's collection, so feature state and partial updates find it.
function placed(map) {
  const all = map.geojson.features, where = new Map(), perCamera = new Map(), out = [];
  for (const f of all) if (f.properties.kind === "camera" && f.geometry) where.set(f.properties.camera, f.geometry.coordinates);
  all.forEach((f, id) => {
    const p = f.properties;
    if (p.kind === "site" || p.kind === "camera") { if (f.geometry) out.push({ id, kind: p.kind, camera: p.camera, feature: f }); return; }
    const i = perCamera.get(`${p.kind}${p.camera}`) || 0; perCamera.set(`${p.kind}${p.camera}`, i + 1);
    const geometry = f.geometry || (where.has(p.camera) ? around(where.get(p.camera), i, p.kind) : null);
    if (geometry) out.push({ id, kind: p.kind, camera: p.camera, feature: { ...f, geometry } });
  });
  return { placed: out, total: all.filter((f) => f.properties.kind === "camera").length };
}

const placedOf = new WeakMap();  // map -> placed(map): the registry changes only on a new GET /api/map

// The shapes the search leaves: a camera that matches brings its zones and lines along.
export function mapShapes(map, query = "") {
  if (!placedOf.has(map)) placedOf.set(map, placed(map));
  const { placed: features, total } = placedOf.get(map);
  const q = query.trim().toLowerCase();
  const cameras = new Set(features.filter((s) => s.kind === "camera" && matches(s.feature.properties, q)).map((s) => s.camera));
  const shapes = features.filter((s) => s.kind === "site" || (s.kind === "camera" ? cameras.has(s.camera)
    : !q || cameras.has(s.camera) || matches(s.feature.properties, q)));
  return { shapes, total };
}

// What each shape shows now: { states: camera -> state, cameras, zones, lines, labels: id -> value }.
export function mapValues(state, shapes) {
  const states = new Map(((state.live && state.live.cameras) || []).map((c) => [c.camera, c.state]));
  const { zones, flow } = shownValues(state);
  const out = { states, cameras: new Map(), zones: new Map(), lines: new Map(), labels: new Map() };
  for (const { id, kind, camera, feature: { properties: p } } of shapes) {
    if (kind === "camera") out.cameras.set(id, states.get(camera) || "never_seen");
    if (kind === "zone") {
      const v = zones.get(`${camera}/${p.id}`) || { total: null, stale: true };
      const occupancy = zoneClass(v.total, v.stale, p.capacity);
      const label = v.total === null || v.total === undefined ? `${p.id} · –` : p.capacity ? `${p.id} · ${v.total}/${p.capacity}` : `${p.id} · ${v.total}`;
      out.zones.set(id, occupancy);
      out.labels.set(id, { label, priority: occupancy === "over" ? 0 : 1 });
    }
    if (kind === "line") {
      const n = flow.get(`${camera}/${p.id}`) || 0;
      out.lines.set(id, n);
      out.labels.set(id, { label: `${p.id} · ${n}`, priority: n ? 2 : 3 });
    }
  }
  return out;
}

// The camera states the filters hide take their cameras, zones and lines off the map.
export function shownShapes(shapes, values, hidden) {
  if (!hidden.size) return shapes;
  return shapes.filter((s) => s.kind === "site" || !hidden.has(values.states.get(s.camera) || "never_seen"));
}

const collection = (features) => ({ type: "FeatureCollection", features });
const cameraProps = (state) => ({ state, bad: state === "online" ? 0 : 1 });

// The sources' full data for these shapes and values: { site, cameras, zones, lines, labels } FeatureCollections.
// Zones and lines carry no value: their occupancy and crossings travel as feature state. Each feature carries only
// what the layers and a click read (kind, id, camera, key; a camera's name and state): the rest of GET /api/map's
// properties (placement, calibration errors, capacity...) would only be copied to the worker and into every tile.
export function sourceData(shapes, values) {
  const out = { site: [], cameras: [], zones: [], lines: [], labels: [] };
  for (const { id, kind, camera, feature: f } of shapes) {
    const key = kind === "camera" ? camera : `${camera}/${f.properties.id}`;
    const properties = { kind, id: f.properties.id, camera, key };
    if (kind === "site") out.site.push({ ...f, properties });
    else if (kind === "camera") out.cameras.push({ ...f, id, properties: { ...properties, name: f.properties.name, ...cameraProps(values.cameras.get(id)) } });
    else {
      out[`${kind}s`].push({ ...f, id, properties });
      out.labels.push({ type: "Feature", id, geometry: { type: "Point", coordinates: anchor(f.geometry) }, properties: { kind, ...values.labels.get(id) } });
    }
  }
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, collection(v)]));
}

// The partial updates that take the map from the values it shows (`before`) to `after`: property updates for the
// clustered cameras and the labels (MapLibre's updateData), feature state for the zones and the lines.
export function valueChanges(before, after) {
  const same = (a, b) => a === b || (typeof a === "object" && !!a && !!b && a.label === b.label && a.priority === b.priority);
  const changed = (name) => [...after[name]].filter(([id, v]) => !same(before[name].get(id), v));
  const props = (entries, toProps) => entries.map(([id, v]) => ({ id, addOrUpdateProperties: Object.entries(toProps(v)).map(([key, value]) => ({ key, value })) }));
  return {
    cameras: props(changed("cameras"), cameraProps),
    labels: props(changed("labels"), (v) => v),
    zones: changed("zones").map(([id, occupancy]) => [id, { occupancy }]),
    lines: changed("lines").map(([id, crossings]) => [id, { crossings }]),
  };
}
