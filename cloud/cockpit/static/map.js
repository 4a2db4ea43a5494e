// The site map: SVG in metres from the registry, coloured by occupancy (live or at a past instant).
import { byId, svg } from "/shared/dom.js";
import { set } from "./store.js";
import { shownValues } from "./values.js";

function zoneClass(zone) {
  if (zone.stale || zone.total === null || zone.total === undefined) return "stale";
  if (!zone.capacity) return "ok";
  const ratio = zone.total / zone.capacity;
  return ratio > 1 ? "over" : ratio >= 0.7 ? "warn" : "ok";
}

// Zones and lines without map geometry are drawn in a ring around their camera.
function fallbackZone(cam, index, u) {
  const a = (index * 2.1) + 0.6, r = 11 * u, s = 9 * u;
  const cx = cam.x_m + Math.cos(a) * r, cy = cam.y_m + Math.sin(a) * r;
  return [[cx - s / 2, cy - s / 2], [cx + s / 2, cy - s / 2], [cx + s / 2, cy + s / 2], [cx - s / 2, cy + s / 2]];
}
function fallbackLine(cam, index, u) {
  const a = (index * 2.1) + 2.2, r = 10 * u, h = 5 * u;
  const cx = cam.x_m + Math.cos(a) * r, cy = cam.y_m + Math.sin(a) * r;
  return [[cx - Math.sin(a) * h, cy + Math.cos(a) * h], [cx + Math.sin(a) * h, cy - Math.cos(a) * h]];
}

// A click on the map selects what was clicked, and the history chart follows its camera (and line).
function select(sel) {
  set({ selected: sel, histCamera: sel.camera, histLine: sel.kind === "line" ? sel.line : null });
}

function background(w, h, u) {
  const marks = [svg("rect", { class: "map-bg", x: 0, y: 0, width: w, height: h, rx: 1 })];
  const step = 10 * Math.max(1, Math.round(u));
  for (let x = step; x < w; x += step) marks.push(svg("line", { class: "map-grid", x1: x, y1: 0, x2: x, y2: h }));
  for (let y = step; y < h; y += step) marks.push(svg("line", { class: "map-grid", x1: 0, y1: y, x2: w, y2: y }));
  marks.push(svg("text", { x: w - u, y: h - 1.5 * u, "text-anchor": "end", "font-size": 3 * u, opacity: 0.5 }, `${w} m × ${h} m`));
  return marks;
}

function zoneMarks(map, values, cams, selected, u) {
  const perCamera = new Map();
  const known = new Map(map.zones.map((z) => [`${z.camera}/${z.zone}`, z]));
  const zones = [...map.zones];
  // Zones reported by nodes but missing from the registry are still shown.
  for (const key of values.zones.keys()) if (!known.has(key)) { const [camera, zone] = key.split("/"); if (cams.has(camera)) zones.push({ camera, zone, capacity: null, map: null }); }
  const marks = [];
  for (const z of zones) {
    const cam = cams.get(z.camera); if (!cam) continue;
    const i = perCamera.get(z.camera) || 0; perCamera.set(z.camera, i + 1);
    const pts = z.map ? z.map.map((p) => [p.x_m, p.y_m]) : fallbackZone(cam, i, u);
    const key = `${z.camera}/${z.zone}`;
    const v = values.zones.get(key) || { total: null, stale: true };
    const shown = { ...v, capacity: z.capacity };
    const cx = pts.reduce((s, p) => s + p[0], 0) / pts.length, cy = pts.reduce((s, p) => s + p[1], 0) / pts.length;
    const label = v.total === null || v.total === undefined ? "–" : z.capacity ? `${v.total}/${z.capacity}` : `${v.total}`;
    marks.push(svg("g", { "data-zone": key, onclick: () => select({ kind: "zone", key, camera: z.camera, zone: z.zone }) },
      svg("polygon", { class: `zone ${zoneClass(shown)}${selected === key ? " selected" : ""}`, points: pts.map((p) => p.join(",")).join(" ") }),
      svg("text", { x: cx, y: cy + 1.2 * u, "text-anchor": "middle", "font-size": 3.4 * u, "font-weight": 700, "pointer-events": "none" }, label),
      svg("text", { x: cx, y: cy + 4.6 * u, "text-anchor": "middle", "font-size": 2.2 * u, opacity: 0.8, "pointer-events": "none" }, z.zone)));
  }
  return marks;
}

function lineMarks(map, values, cams, selected, u) {
  const perCamera = new Map(), marks = [];
  for (const l of map.lines) {
    const cam = cams.get(l.camera); if (!cam) continue;
    const i = perCamera.get(l.camera) || 0; perCamera.set(l.camera, i + 1);
    const pts = l.map ? l.map.map((p) => [p.x_m, p.y_m]) : fallbackLine(cam, i, u);
    const key = `${l.camera}/${l.line}`;
    const n = values.flow.get(key) || 0;
    const width = u * (0.8 + Math.min(3, Math.log2(1 + n) * 0.6));
    marks.push(svg("g", { "data-line": key, onclick: () => select({ kind: "line", key, camera: l.camera, line: l.line }) },
      svg("line", { class: `mline${n ? "" : " idle"}${selected === key ? " selected" : ""}`, x1: pts[0][0], y1: pts[0][1], x2: pts[1][0], y2: pts[1][1], "stroke-width": width }),
      svg("text", { x: (pts[0][0] + pts[1][0]) / 2 + 1.5 * u, y: (pts[0][1] + pts[1][1]) / 2 - 1.5 * u, "font-size": 2.4 * u, "pointer-events": "none" }, `${l.line} · ${n}`)));
  }
  return marks;
}

function cameraMarks(map, states, selected, u) {
  return map.cameras.map((c) => {
    const state = states.get(c.camera) || "never_seen";
    const a = ((c.heading_deg || 0) - 90) * Math.PI / 180, r = 8 * u, half = 0.5;
    const fov = `M ${c.x_m} ${c.y_m} L ${c.x_m + Math.cos(a - half) * r} ${c.y_m + Math.sin(a - half) * r} A ${r} ${r} 0 0 1 ${c.x_m + Math.cos(a + half) * r} ${c.y_m + Math.sin(a + half) * r} Z`;
    return svg("g", { class: `cam ${state}`, "data-camera": c.camera, "data-state": state, onclick: () => select({ kind: "camera", key: c.camera, camera: c.camera }) },
      svg("path", { class: "fov", d: fov }),
      svg("circle", { cx: c.x_m, cy: c.y_m, r: 2 * u, class: selected === c.camera ? "selected" : "" }),
      svg("text", { x: c.x_m, y: c.y_m - 3 * u, "text-anchor": "middle", "font-size": 3.2 * u, "font-weight": 700 }, c.name || c.camera));
  });
}

export function render(state) {
  const { map } = state;
  if (!map || !map.site) return;
  const { width_m: w, height_m: h } = map.site;
  const u = Math.max(w, h) / 120;  // one "map unit": marks and text scale with the site
  const pad = 6 * u;
  const root = byId("map");
  root.setAttribute("viewBox", `${-pad} ${-pad} ${w + 2 * pad} ${h + 2 * pad}`);
  const values = shownValues(state);
  const cams = new Map(map.cameras.map((c) => [c.camera, c]));
  const selected = state.selected ? state.selected.key : null;
  const states = new Map(((state.live && state.live.cameras) || []).map((c) => [c.camera, c.state]));
  root.replaceChildren(...background(w, h, u), ...zoneMarks(map, values, cams, selected, u),
    ...lineMarks(map, values, cams, selected, u), ...cameraMarks(map, states, selected, u));
}
