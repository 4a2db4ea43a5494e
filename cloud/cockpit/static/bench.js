// The benchmarks pane: results per device, model and configuration, from hardware/results/<device>/.
import { byId } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set } from "./store.js";
import { fillTable } from "./tables.js";

const COLUMNS = [["device", "Device"], ["model", "Model"], ["input_size", "Input", (v) => `${fmt.n(v)} px`],
  ["threads", "Threads"], ["provider", "Provider"], ["pipeline_fps", "Pipeline", (v) => `${fmt.n(v, 1)} fps`],
  ["inference_fps", "Inference", (v) => `${fmt.n(v, 1)} fps`], ["p50_ms", "p50", (v) => `${fmt.n(v, 1)} ms`], ["p95_ms", "p95", (v) => `${fmt.n(v, 1)} ms`]];

export async function load() {
  set({ bench: await api("/api/benchmarks") });
}

export function render({ bench: rows }) {
  if (!rows) return;
  byId("bench-empty").textContent = rows.length ? "" : "No benchmark results yet: run `citytwin bench` on a device; results appear from hardware/results/<device>/.";
  fillTable(byId("bench"), COLUMNS, rows);
}
