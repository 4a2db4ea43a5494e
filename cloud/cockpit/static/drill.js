// The drill-down: what the map shows for the selected camera, zone or line.
import { byId, el } from "/shared/dom.js";
import { fmt } from "./format.js";
import { shownValues } from "./values.js";

function zoneRows({ map, selected: sel }, zones) {
  return map.zones.filter((z) => z.camera === sel.camera && (sel.kind !== "zone" || z.zone === sel.zone)).map((z) => {
    const v = zones.get(`${z.camera}/${z.zone}`);
    return el("tr", {}, el("td", {}, `zone ${z.zone}`), el("td", {}, v && v.total !== null ? `${v.total} objects${v.stale ? " (stale)" : ""}` : "no data"),
      el("td", {}, z.capacity ? `capacity ${z.capacity}` : ""));
  });
}

function lineRows({ map, live, past, selected: sel }, flow) {
  return map.lines.filter((l) => l.camera === sel.camera && (sel.kind !== "line" || l.line === sel.line)).map((l) => {
    const f = live && !past ? live.flow.find((x) => x.camera === l.camera && x.line === l.line) : null;
    const total = flow.get(`${l.camera}/${l.line}`) || 0;
    return el("tr", {}, el("td", {}, `line ${l.line}`), el("td", {}, `${total} crossings / 15 min`),
      el("td", {}, f ? `in ${f.inbound} · out ${f.outbound}` : ""));
  });
}

export function render(state) {
  const { selected: sel, map, live } = state;
  if (!sel || !map) return;
  const { zones, flow } = shownValues(state);
  byId("drill-title").textContent = `${sel.kind}: ${sel.kind === "camera" ? sel.camera : sel.key}`;
  const rows = [...zoneRows(state, zones), ...lineRows(state, flow)];
  const node = live && live.nodes.find((n) => n.camera === sel.camera);
  if (node) rows.push(el("tr", {}, el("td", {}, `node ${node.node}`), el("td", {}, node.online ? "online" : "offline"),
    el("td", {}, `${fmt.n(node.fps, 1)} fps`)));
  const body = byId("drill-body");
  body.className = "";
  body.replaceChildren(el("table", { class: "table" }, el("tbody", {}, rows)));
}
