// The live tiles: people and vehicles in zones now, flow over the last 15 minutes, zones over capacity.
import { byId } from "/shared/dom.js";
import { fmt } from "./format.js";

function setTile(id, value, stale, alarm = false) {
  const tile = byId(id);
  tile.querySelector(".tile-value").textContent = fmt.n(value);
  tile.classList.toggle("stale-data", !!stale);
  tile.classList.toggle("alarm", !!alarm);
}

export function render({ live }) {
  if (!live) return;
  setTile("tile-people", live.people_now, live.stale);
  setTile("tile-vehicles", live.vehicles_now, live.stale);
  setTile("tile-flow", live.flow.reduce((s, f) => s + f.total, 0), false);
  setTile("tile-over", live.zones_over_capacity, live.stale, live.zones_over_capacity > 0);
}
