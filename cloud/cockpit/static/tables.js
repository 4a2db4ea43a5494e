// One table from rows and column specs: [key, heading, format(value, row)?].
import { el } from "/shared/dom.js";

export function fillTable(table, columns, rows) {
  table.replaceChildren(el("thead", {}, el("tr", {}, columns.map(([, label]) => el("th", {}, label)))),
    el("tbody", {}, rows.map((r) => el("tr", {}, columns.map(([key, , f]) => el("td", {}, f ? f(r[key], r) : String(r[key] ?? "–")))))));
}
