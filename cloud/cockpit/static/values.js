// The occupancy and flow the map and the drill-down show: live, or at the scrubbed instant.

// { zones: "camera/zone" -> { total, stale }, flow: "camera/line" -> crossings }
export function shownValues({ live, past }) {
  const zones = new Map(), flow = new Map();
  if (past) {
    for (const z of past.zones) zones.set(`${z.camera}/${z.zone}`, { total: z.total, stale: false });
    for (const f of past.flow) flow.set(`${f.camera}/${f.line}`, (flow.get(`${f.camera}/${f.line}`) || 0) + f.crossings);
  } else if (live) {
    for (const z of live.zones) zones.set(`${z.camera}/${z.zone}`, z);
    for (const f of live.flow) flow.set(`${f.camera}/${f.line}`, f.total);
  }
  return { zones, flow };
}
