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

// Rows are rebuilt only for cameras whose report changed: with a thousand cameras, a live update touches a few.
const rows = new Map();  // camera -> { text, tr }

function cachedRow(c) {
  const text = JSON.stringify([c.state, c.reasons, c.node, c.fps, c.latency_ms, c.clock_offset_ms, c.clock_synced, c.scene, c.scene_flags, c.last_seen && fmt.age(c.last_seen), c.configured]);
  const kept = rows.get(c.camera);
  if (kept && kept.text === text) return kept.tr;
  const tr = row(c);
  rows.set(c.camera, { text, tr });
  return tr;
}

export function render({ live }) {
  const tbody = byId("nodes").querySelector("tbody");
  const cameras = (live && live.cameras) || [];
  if (!cameras.length) { rows.clear(); tbody.replaceChildren(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No camera is configured."))); return; }
  const wanted = cameras.map(cachedRow);
  if (wanted.length !== tbody.children.length || wanted.some((tr, i) => tbody.children[i] !== tr)) tbody.replaceChildren(...wanted);
  if (rows.size > cameras.length * 2) for (const key of [...rows.keys()]) if (!cameras.some((c) => c.camera === key)) rows.delete(key);
}

// The header's count of cameras per state: every configured camera is in exactly one.
export function renderCounts({ live }) {
  const counts = (live && live.camera_counts) || {};
  byId("camera-counts").replaceChildren(...Object.keys(STATE_LABELS).map((state) =>
    el("span", { class: `count ${state}${counts[state] ? "" : " none"}`, "data-state": state, title: STATE_LABELS[state] },
      el("span", { class: `dot ${state}` }), `${counts[state] || 0} ${STATE_LABELS[state]}`)));
}
