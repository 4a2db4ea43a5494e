// Every configured camera, one row each, with its state: never seen, silent, unreliable, degraded or online.
import { byId, el } from "/shared/dom.js";
import { fmt } from "./format.js";

export const STATE_LABELS = {
  never_seen: "never seen", silent: "silent", unreliable: "unreliable", degraded: "degraded", online: "online",
};

// The node's clock as its kernel sees it: the bridge refuses events stamped too far ahead, so drift loses data.
function clockCell(n) {
  if (n.clock_offset_ms === null || n.clock_offset_ms === undefined) return el("td", { class: "muted", title: "the node reports no clock offset" }, "–");
  const text = `${n.clock_offset_ms >= 0 ? "+" : ""}${fmt.n(n.clock_offset_ms, 1)} ms`;
  return n.clock_synced === false ? el("td", { class: "warn", title: "the node's clock is not synchronised (NTP)" }, `${text} unsynced`)
    : el("td", { title: "offset from the node's NTP source" }, text);
}

// The node's own judgement of its picture: counts from a dark, grey, washed-out or blurred scene are unreliable.
// A report the contract does not describe is shown as unknown: it vouches for nothing and flags nothing.
function sceneCell(c) {
  if (c.scene === "unknown") return el("td", { class: "warn", title: "the node's scene report is not in the contract's shape" }, "unknown");
  if (!Array.isArray(c.scene_flags)) return el("td", { class: "muted", title: "the node does not judge its scene" }, "–");
  if (!c.scene_flags.length) return el("td", { title: "no scene quality flag: counts are reliable" }, "ok");
  return el("td", { class: "warn", title: "counts from this camera may be unreliable" }, c.scene_flags.join(", ").replaceAll("_", " "));
}

function stateCell(c) {
  return el("td", { title: c.reasons.join("; ") || "reporting normally" },
    el("span", { class: `dot ${c.state}` }), STATE_LABELS[c.state] || c.state);
}

function row(c) {
  const seen = c.last_seen !== null;
  return el("tr", { "data-camera-row": c.camera, class: c.configured ? "" : "unconfigured" },
    el("td", { title: c.configured ? c.name : "reports, but is not in the deployment file" }, c.camera),
    stateCell(c), el("td", { class: seen ? "" : "muted" }, c.node || "–"),
    el("td", {}, seen ? `${fmt.n(c.fps, 1)} fps` : "–"), el("td", {}, c.latency_ms === null ? "–" : `${fmt.n(c.latency_ms)} ms`),
    clockCell(c), sceneCell(c), el("td", { title: seen ? fmt.time(c.last_seen) : "" }, seen ? fmt.age(c.last_seen) : "never"));
}

// A thousand cameras make a table far taller than its box, so only the rows in view (and a few either side) are in
// the document, between two spacers that keep the scroll bar true; a live update rebuilds only those rows whose report
// changed, and rewrites the "last seen" ages of the rows in view.
const OVERSCAN = 12;
let listed = [];          // the cameras of the newest live snapshot, in its order
let rowHeight = 0;        // measured from the first row drawn
const rows = new Map();   // camera -> { text, tr }: the rows in the document now
let spacers = null;       // [above, below]

function spacer() {
  return el("tr", { class: "spacer", "aria-hidden": "true" }, el("td", { colspan: 8 }));
}

function cachedRow(c) {
  const text = JSON.stringify([c.state, c.reasons, c.node, c.fps, c.latency_ms, c.clock_offset_ms, c.clock_synced, c.scene, c.scene_flags, c.last_seen, c.configured]);
  const kept = rows.get(c.camera);
  const tr = kept && kept.text === text ? kept.tr : row(c);
  rows.set(c.camera, { text, tr });
  const age = c.last_seen !== null ? fmt.age(c.last_seen) : "never", cell = tr.lastElementChild;
  if (cell.textContent !== age) cell.textContent = age;
  return tr;
}

// The rows the box shows at its scroll position, as [first, end).
function inView(count) {
  const box = byId("nodes-box"), h = rowHeight || 30;
  const shown = box.clientHeight ? Math.ceil(box.clientHeight / h) : 40;
  const first = Math.min(Math.max(0, count - shown), Math.max(0, Math.floor(box.scrollTop / h) - OVERSCAN));
  return [first, Math.min(count, first + shown + 2 * OVERSCAN)];
}

function draw() {
  const tbody = byId("nodes").querySelector("tbody");
  if (!spacers) spacers = [spacer(), spacer()];
  const [first, end] = inView(listed.length);
  const visible = listed.slice(first, end);
  const keep = new Set(visible.map((c) => c.camera));
  for (const key of [...rows.keys()]) if (!keep.has(key)) rows.delete(key);
  const wanted = [spacers[0], ...visible.map(cachedRow), spacers[1]];
  if (wanted.length !== tbody.children.length || wanted.some((tr, i) => tbody.children[i] !== tr)) tbody.replaceChildren(...wanted);
  if (!rowHeight && visible.length) rowHeight = wanted[1].getBoundingClientRect().height;
  spacers[0].firstChild.style.height = `${first * rowHeight}px`;
  spacers[1].firstChild.style.height = `${(listed.length - end) * rowHeight}px`;
}

export function render({ live }) {
  listed = (live && live.cameras) || [];
  if (listed.length) { draw(); return; }
  rows.clear(); spacers = null;
  byId("nodes").querySelector("tbody").replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No camera is configured.")));
}

// Scrolling brings other rows into view: drawn once per frame, however many scroll events come.
export function bind() {
  let pending = false;
  byId("nodes-box").addEventListener("scroll", () => {
    if (pending || !listed.length) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; draw(); });
  }, { passive: true });
}

// The header's count of cameras per state: every configured camera is in exactly one.
let shownCounts = "";

export function renderCounts({ live }) {
  const counts = (live && live.camera_counts) || {};
  if (JSON.stringify(counts) === shownCounts) return;  // most updates leave them as they are
  shownCounts = JSON.stringify(counts);
  byId("camera-counts").replaceChildren(...Object.keys(STATE_LABELS).map((state) =>
    el("span", { class: `count ${state}${counts[state] ? "" : " none"}`, "data-state": state, title: STATE_LABELS[state] },
      el("span", { class: `dot ${state}` }), `${counts[state] || 0} ${STATE_LABELS[state]}`)));
}
