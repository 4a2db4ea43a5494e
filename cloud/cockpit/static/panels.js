// Side and bottom panels: tiles, drill-down, alerts, node health, history chart, SQL console, benchmarks, audit, residency.
"use strict";

function setTile(id, value, stale, alarm = false) {
  const tile = document.getElementById(id);
  tile.querySelector(".tile-value").textContent = fmt.n(value);
  tile.classList.toggle("stale-data", !!stale);
  tile.classList.toggle("alarm", !!alarm);
}

function drawTiles() {
  const live = CT.live; if (!live) return;
  const flow = live.flow.reduce((s, f) => s + f.total, 0);
  setTile("tile-people", live.people_now, live.stale);
  setTile("tile-vehicles", live.vehicles_now, live.stale);
  setTile("tile-flow", flow, false);
  setTile("tile-over", live.zones_over_capacity, live.stale, live.zones_over_capacity > 0);
  document.getElementById("data-age").textContent = live.data_as_of ? `newest data ${fmt.age(live.data_as_of)}` : "no data yet";
  if (!CT.past) setMode(live.stale ? "stale" : "live");
}

function setMode(mode, text) {
  const badge = document.getElementById("mode-badge");
  badge.className = `badge ${mode}`;
  badge.textContent = text || (mode === "live" ? "LIVE" : mode === "stale" ? "STALE DATA" : "HISTORY");
}

function select(sel) {
  CT.selected = sel;
  drawMap(); drawDrill();
  const camSelect = document.getElementById("hist-camera");
  camSelect.value = sel.camera;
  CT.histLine = sel.kind === "line" ? sel.line : null;
  loadHistory();
}

function drawDrill() {
  const sel = CT.selected, body = document.getElementById("drill-body");
  if (!sel || !CT.map) return;
  const { zones, flow } = mapValues();
  document.getElementById("drill-title").textContent = `${sel.kind}: ${sel.kind === "camera" ? sel.camera : sel.key}`;
  const rows = [];
  for (const z of CT.map.zones.filter((z) => z.camera === sel.camera && (sel.kind !== "zone" || z.zone === sel.zone))) {
    const v = zones.get(`${z.camera}/${z.zone}`);
    rows.push(el("tr", {}, el("td", {}, `zone ${z.zone}`), el("td", {}, v && v.total !== null ? `${v.total} objects${v.stale ? " (stale)" : ""}` : "no data"),
      el("td", {}, z.capacity ? `capacity ${z.capacity}` : "")));
  }
  for (const l of CT.map.lines.filter((l) => l.camera === sel.camera && (sel.kind !== "line" || l.line === sel.line))) {
    const f = CT.live && !CT.past ? CT.live.flow.find((x) => x.camera === l.camera && x.line === l.line) : null;
    const total = flow.get(`${l.camera}/${l.line}`) || 0;
    rows.push(el("tr", {}, el("td", {}, `line ${l.line}`), el("td", {}, `${total} crossings / 15 min`),
      el("td", {}, f ? `in ${f.inbound} · out ${f.outbound}` : "")));
  }
  const node = CT.live && CT.live.nodes.find((n) => n.camera === sel.camera);
  if (node) rows.push(el("tr", {}, el("td", {}, `node ${node.node}`), el("td", {}, node.online ? "online" : "offline"),
    el("td", {}, `${fmt.n(node.fps, 1)} fps`)));
  body.className = "";
  body.replaceChildren(el("table", { class: "table" }, el("tbody", {}, rows)));
}

function alertButton(a, action, label, title) {
  return el("button", { class: "ghost", "data-action": action, disabled: !can("ack"), title: can("ack") ? title : "your role cannot act on alerts",
    onclick: async () => { await api(`/api/alerts/${encodeURIComponent(a.id)}/${action}`, { method: "POST" }); loadAlerts(); } }, label);
}

function alertState(a) {
  if (a.false_alarm) return `false alarm · ${a.acknowledged_by}`;
  if (a.state === "resolved") return a.resolved_by ? `resolved by ${a.resolved_by}` : "resolved";
  return a.acknowledged_by ? `ack ${a.acknowledged_by}` : "";
}

async function loadAlerts() {
  const [alerts, feedback] = await Promise.all([api("/api/alerts?limit=50"), api("/api/alerts/feedback")]);
  const list = document.getElementById("alerts");
  const open = alerts.filter((a) => a.state === "firing" && !a.acknowledged_by).length;
  document.getElementById("alert-count").textContent = `${open} open · ${alerts.length} total`;
  const tuned = feedback.filter((f) => f.false_alarms > 0);
  document.getElementById("alert-feedback").textContent = tuned.length
    ? "False alarms: " + tuned.map((f) => `${f.rule} ${f.false_alarms}/${f.fired}`).join(" · ") : "";
  if (!alerts.length) { list.replaceChildren(el("li", { class: "muted" }, "No alerts.")); return; }
  list.replaceChildren(...alerts.map((a) => el("li", { "data-alert": a.id, class: a.state },
    el("span", { class: `sev ${a.severity}` }),
    el("div", { class: "body" }, el("div", {}, a.message || a.rule),
      el("div", { class: "muted small" }, `${a.rule} · ${a.subject} · ${fmt.age(a.raised_at)}`)),
    el("span", { class: "acked" }, alertState(a)),
    a.state === "firing" && !a.acknowledged_by ? alertButton(a, "ack", "Ack", "acknowledge: reminders stop") : "",
    a.state === "firing" && !a.false_alarm ? alertButton(a, "false-alarm", "False alarm", "mark a false alarm, counted against the rule") : "",
    a.state === "firing" ? alertButton(a, "resolve", "Resolve", "resolve by hand; the rule re-arms") : "")));
}

function drawNodes() {
  const tbody = document.querySelector("#nodes tbody");
  const nodes = (CT.live && CT.live.nodes) || [];
  if (!nodes.length) { tbody.replaceChildren(el("tr", {}, el("td", { colspan: 6, class: "muted" }, "No node has reported yet."))); return; }
  tbody.replaceChildren(...nodes.map((n) => el("tr", {},
    el("td", {}, n.node), el("td", {}, el("span", { class: `dot ${n.online ? "on" : "off"}` }), n.online ? "online" : "offline"),
    el("td", {}, `${fmt.n(n.fps, 1)} fps`), el("td", {}, n.latency_ms === null ? "–" : `${fmt.n(n.latency_ms)} ms`),
    clockCell(n), el("td", { title: fmt.time(n.last_seen) }, fmt.age(n.last_seen)))));
}

// The node's clock as its kernel sees it: the bridge refuses events stamped too far ahead, so drift loses data.
function clockCell(n) {
  if (n.clock_offset_ms === null || n.clock_offset_ms === undefined) return el("td", { class: "muted", title: "the node reports no clock offset" }, "–");
  const text = `${n.clock_offset_ms >= 0 ? "+" : ""}${fmt.n(n.clock_offset_ms, 1)} ms`;
  return n.clock_synced === false ? el("td", { class: "warn", title: "the node's clock is not synchronised (NTP)" }, `${text} unsynced`)
    : el("td", { title: "offset from the node's NTP source" }, text);
}

let historyRequest = 0;

async function loadHistory() {
  if (!CT.range || !CT.range.last) return;
  // Requests can finish out of order (a drill-in, then a bucket change): only the newest may draw.
  const mine = ++historyRequest;
  const bucket = document.getElementById("bucket").value, camera = document.getElementById("hist-camera").value;
  const end = new Date(CT.scrubAt || CT.range.last), spanH = { "1 minute": 3, "15 minutes": 24, "1 hour": 72, "1 day": 24 * 30 }[bucket] || 24;
  const start = new Date(Math.max(new Date(CT.range.first).getTime(), end.getTime() - spanH * 3600e3));
  const params = new URLSearchParams({ bucket, start: start.toISOString(), end: new Date(end.getTime() + 1000).toISOString() });
  if (camera) params.set("camera", camera);
  if (CT.histLine && camera) params.set("line", CT.histLine);
  const h = await api(`/api/history?${params}`);
  if (mine !== historyRequest) return;
  document.getElementById("hist-title").textContent =
    `crossings per ${h.bucket} · ${camera || "all cameras"}${h.line ? ` · ${h.line}` : ""} · ${fmt.time(h.start)} → ${fmt.time(h.end)}`;
  drawChart(h.points);
}

function drawChart(points) {
  const root = document.getElementById("chart");
  const box = root.getBoundingClientRect(), W = Math.max(300, box.width), H = Math.max(120, box.height);
  root.setAttribute("viewBox", `0 0 ${W} ${H}`); root.replaceChildren();
  const left = 48, bottom = 22, top = 8, plotW = W - left - 8, plotH = H - bottom - top;
  const max = Math.max(1, ...points.map((p) => p.inbound + p.outbound));
  root.append(svg("line", { class: "chart-axis", x1: left, y1: top + plotH, x2: left + plotW, y2: top + plotH }));
  for (const f of [0, 0.5, 1]) {
    const y = top + plotH * (1 - f);
    root.append(svg("line", { class: "chart-axis", x1: left, y1: y, x2: left + plotW, y2: y, "stroke-dasharray": "3 3" }),
      svg("text", { x: left - 6, y: y + 4, "text-anchor": "end", "font-size": 11 }, fmt.n(max * f)));
  }
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

async function runSql() {
  const meta = document.getElementById("sql-meta"), error = document.getElementById("sql-error"), table = document.getElementById("sql-result");
  error.textContent = ""; meta.textContent = "running…"; table.replaceChildren();
  try {
    const r = await api("/api/sql", { method: "POST", json: { sql: document.getElementById("sql").value } });
    meta.textContent = `${fmt.n(r.row_count)} rows · ${fmt.n(r.elapsed_ms, 1)} ms${r.truncated ? " · truncated at the row limit" : ""}`;
    table.append(el("thead", {}, el("tr", {}, r.columns.map((c) => el("th", {}, c)))),
      el("tbody", {}, r.rows.slice(0, 500).map((row) => el("tr", {}, row.map((v) => el("td", {}, v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v)))))));
  } catch (e) { meta.textContent = ""; error.textContent = `${e.code}: ${e.message}`; }
}

function fillTable(table, columns, rows) {
  table.replaceChildren(el("thead", {}, el("tr", {}, columns.map(([, label]) => el("th", {}, label)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map(([key, , f]) => el("td", {}, f ? f(r[key], r) : String(r[key] ?? "–")))))));
}

async function loadBench() {
  const rows = await api("/api/benchmarks");
  document.getElementById("bench-empty").textContent = rows.length ? "" : "No benchmark results yet: run `citytwin bench` on a device; results appear from hardware/results/<device>/.";
  fillTable(document.getElementById("bench"), [["device", "Device"], ["model", "Model"], ["input_size", "Input", (v) => `${fmt.n(v)} px`],
    ["threads", "Threads"], ["provider", "Provider"], ["pipeline_fps", "Pipeline", (v) => `${fmt.n(v, 1)} fps`],
    ["inference_fps", "Inference", (v) => `${fmt.n(v, 1)} fps`], ["p50_ms", "p50", (v) => `${fmt.n(v, 1)} ms`], ["p95_ms", "p95", (v) => `${fmt.n(v, 1)} ms`]], rows);
}

async function loadAudit() {
  const rows = await api("/api/audit?last=200");
  fillTable(document.getElementById("audit"), [["seq", "#"], ["ts", "When", (v) => fmt.time(v)], ["actor", "Who"], ["action", "Action"],
    ["details", "Details", (v) => JSON.stringify(v)]], rows);
}

// Where each dataset lives, how long it is kept, who reads it, and what leaves the city (GET /api/residency).
function residencyRetention(d) {
  const t = d.topic;
  if (t && t.mismatch) return `${d.retention.policy} · topic has retention.ms ${t.retention_ms}`;
  if (t && t.exists === false) return `${d.retention.policy} · topic missing`;
  return d.retention.policy;
}

async function loadResidency() {
  const m = await api("/api/residency");
  document.getElementById("residency-meta").textContent =
    `${m.site} on ${m.host} · jurisdiction: ${m.jurisdiction || "not declared"} · ${m.kafka}`;
  const names = (f) => f.length > 2 ? `(${f[0]} +${f.length - 1} more)` : f.length ? `(${f.join(", ")})` : "";
  const where = (v, d) => [v, names(d.files), d.storage ? `on ${d.storage}` : ""].filter(Boolean).join(" ");
  fillTable(document.getElementById("residency"), [["name", "Dataset"], ["kind", "Kind"], ["host", "Host"], ["location", "Location", where],
    ["retention", "Retention", (v, d) => residencyRetention(d)], ["readers", "Readers", (v) => v.length ? v.join(", ") : "services only"],
    ["leaves_city", "Leaves city", (v) => v ? "yes" : "no"]], m.datasets);
  fillTable(document.getElementById("residency-exports"), [["name", "Export"], ["destination", "Destination"],
    ["leaves_city", "Leaves city", (v) => v ? "yes" : "no"], ["crosses", "What crosses"], ["never", "Never", (v) => v.join(", ") || "–"]], m.exports);
}
