// The audit pane: the newest records of the hash-chained audit log (for roles with the audit permission).
import { byId } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set } from "./store.js";
import { fillTable } from "./tables.js";

const COLUMNS = [["seq", "#"], ["ts", "When", (v) => fmt.time(v)], ["actor", "Who"], ["action", "Action"],
  ["details", "Details", (v) => JSON.stringify(v)]];

export async function load() {
  set({ audit: await api("/api/audit?last=200") });
}

export function render({ audit: rows }) {
  if (rows) fillTable(byId("audit"), COLUMNS, rows);
}
