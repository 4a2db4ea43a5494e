// The top bar: site name, the mode badge (live, stale, history), the age of the newest data, the clock, who is logged in.
import { byId } from "/shared/dom.js";
import { fmt } from "./format.js";

export function renderSession({ me, map }) {
  if (me) byId("who").textContent = `${me.username} · ${me.role}`;
  if (map) byId("site-name").textContent = map.site ? map.site.name : "";
}

function mode({ live, past, scrubAt, quiet }) {
  if (past) return ["history", `HISTORY ${fmt.time(scrubAt)}`];
  if (quiet) return ["stale", "CONNECTION LOST"];  // the stream went silent: the numbers on screen may be old
  return live && live.stale ? ["stale", "STALE DATA"] : ["live", "LIVE"];
}

export function renderBadge(state) {
  const [name, text] = mode(state);
  const badge = byId("mode-badge");
  badge.className = `badge ${name}`;
  badge.textContent = text;
}

export function renderDataAge({ live }) {
  if (!live) return;
  byId("data-age").textContent = live.data_as_of ? `newest data ${fmt.age(live.data_as_of)}` : "no data yet";
}

export function renderClock() {
  byId("clock").textContent = new Date().toISOString().slice(11, 19) + " UTC";
}
