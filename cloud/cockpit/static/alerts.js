// The alerts list: the newest alerts with ack, false-alarm and resolve buttons, and false alarms per rule.
import { byId, el } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { can, set } from "./store.js";

export async function load() {
  const [list, feedback] = await Promise.all([api("/api/alerts?limit=50"), api("/api/alerts/feedback")]);
  set({ alerts: { list, feedback } });
}

function button(a, action, label, title) {
  return el("button", { class: "ghost", "data-action": action, disabled: !can("ack"), title: can("ack") ? title : "your role cannot act on alerts",
    onclick: async () => { await api(`/api/alerts/${encodeURIComponent(a.id)}/${action}`, { method: "POST" }); load(); } }, label);
}

function stateText(a) {
  if (a.false_alarm) return `false alarm · ${a.acknowledged_by}`;
  if (a.state === "resolved") return a.resolved_by ? `resolved by ${a.resolved_by}` : "resolved";
  return a.acknowledged_by ? `ack ${a.acknowledged_by}` : "";
}

function item(a) {
  return el("li", { "data-alert": a.id, class: a.state },
    el("span", { class: `sev ${a.severity}` }),
    el("div", { class: "body" }, el("div", {}, a.message || a.rule),
      el("div", { class: "muted small" }, `${a.rule} · ${a.subject} · ${fmt.age(a.raised_at)}`)),
    el("span", { class: "acked" }, stateText(a)),
    a.state === "firing" && !a.acknowledged_by ? button(a, "ack", "Ack", "acknowledge: reminders stop") : "",
    a.state === "firing" && !a.false_alarm ? button(a, "false-alarm", "False alarm", "mark a false alarm, counted against the rule") : "",
    a.state === "firing" ? button(a, "resolve", "Resolve", "resolve by hand; the rule re-arms") : "");
}

export function render({ alerts }) {
  if (!alerts) return;
  const { list, feedback } = alerts;
  const open = list.filter((a) => a.state === "firing" && !a.acknowledged_by).length;
  byId("alert-count").textContent = `${open} open · ${list.length} total`;
  const tuned = feedback.filter((f) => f.false_alarms > 0);
  byId("alert-feedback").textContent = tuned.length
    ? "False alarms: " + tuned.map((f) => `${f.rule} ${f.false_alarms}/${f.fired}`).join(" · ") : "";
  byId("alerts").replaceChildren(...(list.length ? list.map(item) : [el("li", { class: "muted" }, "No alerts.")]));
}
