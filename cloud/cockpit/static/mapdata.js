// The map's GeoJSON: the site's features (GET /api/map) with what the screen shows now, searched and filtered.
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

function labelAt(geometry, label, priority, kind) {
  return { type: "Feature", geometry: { type: "Point", coordinates: anchor(geometry) }, properties: { label, priority, kind } };
}

function matches(p, query) {
  if (!query) return true;
  return [p.camera, p.id, p.name].some((v) => v && String(v).toLowerCase().includes(query));
}

// { cameras, site, lines, zones }: FeatureCollections ready for the map's sources, and what was left out.
export function mapFeatures(state, { query = "", hidden = new Set() } = {}) {
  const { map, live } = state;
  const q = query.trim().toLowerCase();
  const states = new Map(((live && live.cameras) || []).map((c) => [c.camera, c.state]));
  const { zones, flow } = shownValues(state);
  const where = new Map(), perCamera = new Map();
  const out = { cameras: [], site: [], lines: [], zones: [], labels: [] };
  const all = map.geojson.features;
  for (const f of all) if (f.properties.kind === "camera" && f.geometry) where.set(f.properties.camera, f.geometry.coordinates);
  const shownCameras = new Set();
  for (const f of all) {
    const p = f.properties;
    if (p.kind === "site") { if (f.geometry) out.site.push(f); continue; }
    const camState = states.get(p.camera) || "never_seen";
    if (hidden.has(camState)) continue;
    if (p.kind === "camera") {
      if (!f.geometry || !matches(p, q)) continue;
      shownCameras.add(p.camera);
      out.cameras.push({ ...f, id: out.cameras.length, properties: { ...p, state: camState, key: p.camera, bad: camState === "online" ? 0 : 1 } });
      continue;
    }
    const key = `${p.camera}/${p.id}`;
    if (q && !matches(p, q) && !shownCameras.has(p.camera)) continue;
    const i = perCamera.get(`${p.kind}${p.camera}`) || 0; perCamera.set(`${p.kind}${p.camera}`, i + 1);
    const geometry = f.geometry || (where.has(p.camera) ? around(where.get(p.camera), i, p.kind) : null);
    if (!geometry) continue;
    if (p.kind === "zone") {
      const v = zones.get(key) || { total: null, stale: true };
      const label = v.total === null || v.total === undefined ? `${p.id} · –` : p.capacity ? `${p.id} · ${v.total}/${p.capacity}` : `${p.id} · ${v.total}`;
      const occupancy = zoneClass(v.total, v.stale, p.capacity);
      out.zones.push({ type: "Feature", geometry, properties: { ...p, key, occupancy } });
      out.labels.push(labelAt(geometry, label, occupancy === "over" ? 0 : 1, "zone"));
    } else {
      const n = flow.get(key) || 0;
      out.lines.push({ type: "Feature", geometry, properties: { ...p, key, crossings: n } });
      out.labels.push(labelAt(geometry, `${p.id} · ${n}`, n ? 2 : 3, "line"));
    }
  }
  const fc = (features) => ({ type: "FeatureCollection", features });
  return { cameras: fc(out.cameras), site: fc(out.site), lines: fc(out.lines), zones: fc(out.zones), labels: fc(out.labels),
    total: all.filter((f) => f.properties.kind === "camera").length };
}
