// The wall's connection banner: while the stream is down or silent, the room reads it from across, with the time of
// the last data it got and how long ago that was; it goes away by itself once live data flows again.
import { byId } from "/shared/dom.js";
import { fmt } from "./format.js";

// Rendered on every tick of the clock too, so the age counts up while the wall waits.
export function render({ me, offline, quiet, lastLive }) {
  const down = me !== null && (offline || quiet);
  byId("wall-offline").hidden = !down;
  document.body.classList.toggle("disconnected", down);
  if (!down) return;
  const last = lastLive ? new Date(lastLive).toISOString() : null;
  byId("wall-offline-last").textContent = last ? `Last data ${fmt.time(last).slice(11)}, ${fmt.age(last)}` : "No data received yet";
}
