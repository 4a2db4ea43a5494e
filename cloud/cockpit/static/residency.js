// The residency pane: where each dataset lives, how long it is kept, who reads it, and what leaves the city.
import { byId } from "/shared/dom.js";
import { api } from "./api.js";
import { set } from "./store.js";
import { fillTable } from "./tables.js";

function retention(d) {
  const t = d.topic;
  if (t && t.mismatch) return `${d.retention.policy} · topic has retention.ms ${t.retention_ms}`;
  if (t && t.exists === false) return `${d.retention.policy} · topic missing`;
  return d.retention.policy;
}

const names = (f) => f.length > 2 ? `(${f[0]} +${f.length - 1} more)` : f.length ? `(${f.join(", ")})` : "";
const where = (v, d) => [v, names(d.files), d.storage ? `on ${d.storage}` : ""].filter(Boolean).join(" ");
const yesNo = (v) => v ? "yes" : "no";

const DATASETS = [["name", "Dataset"], ["kind", "Kind"], ["host", "Host"], ["location", "Location", where],
  ["retention", "Retention", (v, d) => retention(d)], ["readers", "Readers", (v) => v.length ? v.join(", ") : "services only"],
  ["leaves_city", "Leaves city", yesNo]];
const EXPORTS = [["name", "Export"], ["destination", "Destination"], ["leaves_city", "Leaves city", yesNo],
  ["crosses", "What crosses"], ["never", "Never", (v) => v.join(", ") || "–"]];

export async function load() {
  set({ residency: await api("/api/residency") });
}

export function render({ residency: m }) {
  if (!m) return;
  byId("residency-meta").textContent = `${m.site} on ${m.host} · jurisdiction: ${m.jurisdiction || "not declared"} · ${m.kafka}`;
  fillTable(byId("residency"), DATASETS, m.datasets);
  fillTable(byId("residency-exports"), EXPORTS, m.exports);
}
