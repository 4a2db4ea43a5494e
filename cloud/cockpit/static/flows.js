// The Flows panel: the selected camera's top turns, queues, speeds and heatmap over the last 15 minutes
// (or before the scrubbed instant). Speeds and the heatmap come only from calibrated cameras.
import { byId, el, svg } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set, snapshot } from "./store.js";

const SHOWN_TURNS = 5;  // the panel shares the side column: the API's top ten, cut to what fits
const SHOWN_SPEEDS = 4;  // the most measured lines, directions and classes

let request = 0;

// Fetches the flows of the selected camera, ending at the scrubbed instant or now; only the newest request may draw.
export async function load(state = snapshot()) {
  const { me, selected, scrubAt } = state;
  const mine = ++request;
  if (!me || !selected) { set({ flows: null }); return; }
  const params = new URLSearchParams({ camera: selected.camera });
  if (scrubAt) params.set("at", scrubAt);
  const answer = await api(`/api/flows?${params}`);
  if (mine === request) set({ flows: answer });
}

function gate(g) {
  return g.kind === "line" ? `${g.id} ${g.direction || ""}`.trim() : g.id;
}

function turnRows(flows) {
  if (!flows.turns.length) return [el("tr", {}, el("td", { class: "muted", colspan: 3 }, "No trips between lines and zones."))];
  return flows.turns.slice(0, SHOWN_TURNS).map((t) => el("tr", { "data-turn": `${gate(t.origin)}>${gate(t.destination)}` },
    el("td", {}, `${gate(t.origin)} → ${gate(t.destination)}`), el("td", { class: "muted" }, t.object_class),
    el("td", { class: "num" }, fmt.n(t.trips))));
}

function queueRows(flows) {
  if (!flows.queues.length) return [el("tr", {}, el("td", { class: "muted", colspan: 3 }, "No queue figures."))];
  return flows.queues.map((q) => el("tr", { "data-queue": q.zone, title: `newest interval ${fmt.time(q.as_of)}` },
    el("td", {}, `queue ${q.zone}`), el("td", {}, `now ${fmt.n(q.mean_now, 1)} · peak ${fmt.n(q.peak_now)}`),
    el("td", { class: "num" }, `${flows.window_min} min peak ${fmt.n(q.peak)}`)));
}

function speedRows(flows) {
  if (!flows.speeds.length) return [el("tr", {}, el("td", { class: "muted", colspan: 3 }, "No speeds measured (calibrated cameras only)."))];
  const most = [...flows.speeds].sort((a, b) => b.samples - a.samples).slice(0, SHOWN_SPEEDS);
  return most.map((v) => el("tr", { "data-speed": `${v.line} ${v.direction} ${v.object_class}`, title: `${v.samples} crossings measured` },
    el("td", {}, `${v.line} ${v.direction}`), el("td", { class: "muted" }, v.object_class),
    el("td", { class: "num" }, `${fmt.n(v.mean_kmh, 1)} km/h · p85 ${fmt.n(v.p85_kmh, 1)}`)));
}

// The grid as the ground lies, north up: one square per cell with objects, darker for more.
function heatmap(flows) {
  const h = flows.heatmap;
  if (!h || !h.cells.length) return el("p", { class: "muted small heat-none" }, "No heatmap (calibrated cameras only).");
  const east = h.cells.map((c) => c.east), north = h.cells.map((c) => c.north);
  const x0 = Math.min(...east), y0 = -Math.max(...north) - 1;
  const w = Math.max(...east) - x0 + 1, hgt = -Math.min(...north) - y0, most = Math.max(...h.cells.map((c) => c.objects));
  const grid = svg("svg", { id: "heatmap", class: "heat", viewBox: `${x0} ${y0} ${w} ${hgt}`, role: "img",
    "aria-label": `heatmap of ${h.cells.length} cells of ${h.cell_m} m` },
    svg("rect", { class: "heat-bg", x: x0, y: y0, width: w, height: hgt }),
    ...h.cells.map((c) => svg("rect", { class: "heat-cell", x: c.east, y: -c.north - 1, width: 1, height: 1,
      "fill-opacity": (0.15 + 0.85 * c.objects / most).toFixed(2), "data-cell": `${c.east},${c.north}` },
      svg("title", {}, `${fmt.n(c.objects)} objects, ${c.east * h.cell_m}–${(c.east + 1) * h.cell_m} m east, ${c.north * h.cell_m}–${(c.north + 1) * h.cell_m} m north`))));
  return el("figure", { class: "heat-box" }, grid,
    el("figcaption", { class: "muted small" }, `${fmt.n(h.cell_m)} m cells · most ${fmt.n(most)}`));
}

function section(title, rows) {
  return [el("tr", { class: "section" }, el("th", { colspan: 3 }, title)), ...rows];
}

export function render({ flows, selected }) {
  const card = byId("flows");
  card.hidden = !selected;
  if (!selected) return;
  const meta = byId("flows-meta"), body = byId("flows-body");
  if (!flows || flows.camera !== selected.camera) { meta.textContent = selected.camera; body.replaceChildren(); return; }
  const more = flows.pairs > SHOWN_TURNS ? ` · top ${SHOWN_TURNS} of ${flows.pairs} pairs` : "";
  meta.textContent = `${flows.camera} · ${fmt.n(flows.trips)} trips / ${flows.window_min} min${more}`;
  body.replaceChildren(el("table", { class: "table compact" }, el("tbody", {},
    section("Turns", turnRows(flows)), section("Queues", queueRows(flows)), section("Speeds", speedRows(flows)))),
  heatmap(flows));
}
