// The history chart: crossings per time bucket and direction, for the site, a camera or one of its lines.
import { byId, el, svg } from "/shared/dom.js";
import { api, download } from "./api.js";
import { fmt } from "./format.js";
import { set, snapshot } from "./store.js";

const SPAN_H = { "1 minute": 3, "15 minutes": 24, "1 hour": 72, "1 day": 24 * 30 };  // how far back each bucket looks

let request = 0;

// Fetches the chart for the current controls, ending at the scrubbed instant or at the newest data.
export async function load(state = snapshot()) {
  const { range, scrubAt, bucket, histCamera: camera, histLine: line } = state;
  if (!range || !range.last) return;
  // Requests can finish out of order (a drill-in, then a bucket change): only the newest may draw.
  const mine = ++request;
  const end = new Date(scrubAt || range.last), spanH = SPAN_H[bucket] || 24;
  const start = new Date(Math.max(new Date(range.first).getTime(), end.getTime() - spanH * 3600e3));
  const params = new URLSearchParams({ bucket, start: start.toISOString(), end: new Date(end.getTime() + 1000).toISOString() });
  if (camera) params.set("camera", camera);
  if (line && camera) params.set("line", line);
  const answer = await api(`/api/history?${params}`);
  if (mine === request) set({ history: { camera, answer, params: params.toString() } });
}

export function renderControls({ map, bucket, histCamera }) {
  const cameras = byId("hist-camera");
  if (map) cameras.replaceChildren(el("option", { value: "" }, "all cameras"), ...map.cameras.map((c) => el("option", { value: c.camera }, c.name || c.camera)));
  cameras.value = histCamera;
  byId("bucket").value = bucket;
}

// The file holds what the chart shows: the same request, answered as CSV or Parquet (and audited by the server).
async function save(format) {
  const { history } = snapshot();
  if (!history) return;
  const status = byId("hist-download-status");
  status.textContent = "";
  try {
    await download(`/api/history/download?${history.params}&format=${format}`);
  } catch (e) {
    status.textContent = e.message;
  }
}

export function bind() {
  byId("bucket").addEventListener("change", (e) => set({ bucket: e.target.value }));
  byId("hist-csv").addEventListener("click", () => save("csv"));
  byId("hist-parquet").addEventListener("click", () => save("parquet"));
  byId("hist-camera").addEventListener("change", (e) => set({ histCamera: e.target.value, histLine: null }));
}

function axes(root, left, top, plotW, plotH, max) {
  root.append(svg("line", { class: "chart-axis", x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH }));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    root.append(svg("line", { class: "chart-axis", x1: left, y1: y, x2: left + plotW, y2: y, "stroke-dasharray": "3 3" }),
      svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11 }, fmt.n(max * f)));
  }
}

function drawChart(points) {
  const root = byId("chart");
  const box = root.getBoundingClientRect(), W = Math.max(300, box.width), H = Math.max(120, box.height);
  root.setAttribute("viewBox", `0 0 ${W} ${H}`); root.replaceChildren();
  const left = 48, bottom = 22, top = 8, plotW = W - left - 8, plotH = H - bottom - top;
  const max = Math.max(1, ...points.map((p) => p.inbound + p.outbound));
  axes(root, left, top, plotW, plotH, max);
  if (!points.length) { root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", "font-size": 14, opacity: 0.6 }, "No crossings in this range.")); return; }
  const bw = plotW / points.length;
  points.forEach((p, i) => {
    const x = left + i * bw, hin = plotH * p.inbound / max, hout = plotH * p.outbound / max;
    root.append(svg("rect", { class: "bar-in", x: x + bw * 0.1, width: Math.max(1, bw * 0.8), y: top + plotH - hin, height: hin }, svg("title", {}, `${fmt.time(p.bucket_start)}: ${p.inbound} in`)),
      svg("rect", { class: "bar-out", x: x + bw * 0.1, width: Math.max(1, bw * 0.8), y: top + plotH - hin - hout, height: hout }, svg("title", {}, `${fmt.time(p.bucket_start)}: ${p.outbound} out`)));
  });
  const step = Math.max(1, Math.ceil(points.length / 8));
  for (let i = 0; i < points.length; i += step)
    root.append(svg("text", { x: left + i * bw, y: H - 6, "font-size": 11, opacity: 0.8 }, points[i].bucket_start.slice(5, 16).replace("T", " ")));
  root.append(svg("text", { x: left + plotW, y: top + 10, "text-anchor": "end", "font-size": 11 }, "■ in ", svg("tspan", { fill: "#a371f7" }, "■ out")));
}

export function render({ history }) {
  if (!history) return;
  const { camera, answer: h } = history;
  byId("hist-title").textContent =
    `crossings per ${h.bucket} · ${camera || "all cameras"}${h.line ? ` · ${h.line}` : ""} · ${fmt.time(h.start)} → ${fmt.time(h.end)}`;
  drawChart(h.points);
}
