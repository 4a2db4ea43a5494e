// The SQL console: one read-only statement, audited; a refusal shows its code and reason.
import { byId, el } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set } from "./store.js";

const SHOWN_ROWS = 500;

async function run() {
  set({ sql: { running: true } });
  try { set({ sql: { result: await api("/api/sql", { method: "POST", json: { sql: byId("sql").value } }) } }); }
  catch (e) { set({ sql: { error: e } }); }
}

function cell(v) {
  return el("td", {}, v === null ? "NULL" : typeof v === "object" ? JSON.stringify(v) : String(v));
}

export function render({ sql }) {
  if (!sql) return;
  const meta = byId("sql-meta"), error = byId("sql-error"), table = byId("sql-result");
  const r = sql.result;
  meta.textContent = sql.running ? "running…"
    : r ? `${fmt.n(r.row_count)} rows · ${fmt.n(r.elapsed_ms, 1)} ms${r.truncated ? " · truncated at the row limit" : ""}` : "";
  error.textContent = sql.error ? `${sql.error.code}: ${sql.error.message}` : "";
  table.replaceChildren(...(r ? [el("thead", {}, el("tr", {}, r.columns.map((c) => el("th", {}, c)))),
    el("tbody", {}, r.rows.slice(0, SHOWN_ROWS).map((row) => el("tr", {}, row.map(cell))))] : []));
}

export function bind() {
  byId("sql-run").addEventListener("click", run);
  byId("sql").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) run(); });
}
