// Node health: one row per edge node, from the live snapshot.
import { byId, el } from "/shared/dom.js";
import { fmt } from "./format.js";

// The node's clock as its kernel sees it: the bridge refuses events stamped too far ahead, so drift loses data.
function clockCell(n) {
  if (n.clock_offset_ms === null || n.clock_offset_ms === undefined) return el("td", { class: "muted", title: "the node reports no clock offset" }, "–");
  const text = `${n.clock_offset_ms >= 0 ? "+" : ""}${fmt.n(n.clock_offset_ms, 1)} ms`;
  return n.clock_synced === false ? el("td", { class: "warn", title: "the node's clock is not synchronised (NTP)" }, `${text} unsynced`)
    : el("td", { title: "offset from the node's NTP source" }, text);
}

// The node's own judgement of its picture: counts from a dark, grey, washed-out or blurred scene are unreliable.
function sceneCell(n) {
  if (!Array.isArray(n.scene_flags)) return el("td", { class: "muted", title: "the node does not judge its scene" }, "–");
  if (!n.scene_flags.length) return el("td", { title: "no scene quality flag: counts are reliable" }, "ok");
  return el("td", { class: "warn", title: "counts from this camera may be unreliable" }, n.scene_flags.join(", ").replaceAll("_", " "));
}

export function render({ live }) {
  const tbody = byId("nodes").querySelector("tbody");
  const nodes = (live && live.nodes) || [];
  if (!nodes.length) { tbody.replaceChildren(el("tr", {}, el("td", { colspan: 7, class: "muted" }, "No node has reported yet."))); return; }
  tbody.replaceChildren(...nodes.map((n) => el("tr", {},
    el("td", {}, n.node), el("td", {}, el("span", { class: `dot ${n.online ? "on" : "off"}` }), n.online ? "online" : "offline"),
    el("td", {}, `${fmt.n(n.fps, 1)} fps`), el("td", {}, n.latency_ms === null ? "–" : `${fmt.n(n.latency_ms)} ms`),
    clockCell(n), sceneCell(n), el("td", { title: fmt.time(n.last_seen) }, fmt.age(n.last_seen)))));
}
