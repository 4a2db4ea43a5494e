// The wall's alerts: open ones only, the most severe and newest first, in type large enough for a room.
import { byId, el } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set } from "./store.js";

const RANK = { critical: 0, warning: 1, info: 2 };

export async function load() {
  const [list, feedback] = await Promise.all([api("/api/alerts?limit=50"), api("/api/alerts/feedback")]);
  set({ alerts: { list, feedback } });
}

export function render({ alerts }) {
  if (!alerts) return;
  const open = alerts.list.filter((a) => a.state === "firing" && !a.false_alarm)
    .sort((a, b) => (RANK[a.severity] ?? 3) - (RANK[b.severity] ?? 3) || String(b.raised_at).localeCompare(String(a.raised_at)));
  byId("wall-alert-count").textContent = `${open.length} open`;
  const list = byId("wall-alerts");
  if (!open.length) { list.replaceChildren(el("li", { class: "none" }, "No open alerts")); return; }
  list.replaceChildren(...open.map((a) => el("li", { "data-alert": a.id },
    el("span", { class: `sev ${a.severity}` }),
    el("div", {}, el("div", { class: "msg" }, a.message || a.rule),
      el("div", { class: "meta" }, `${a.severity} · ${a.subject} · ${fmt.age(a.raised_at)}${a.acknowledged_by ? ` · ack ${a.acknowledged_by}` : ""}`)))));
}
