// The top bar: site name, the mode badge (live, stale, history), the age of the newest data, the clock, who is logged in.
import { byId, el } from "/shared/dom.js";
import { fmt } from "./format.js";

// The bar itself, the same on every page; the render functions below fill it in.
export function bar() {
  return el("header", { class: "topbar" },
    el("div", { class: "brand" }, "citytwin ", el("span", { id: "site-name", class: "muted" })),
    el("div", { id: "mode-badge", class: "badge live" }, "LIVE"),
    el("div", { id: "data-age", class: "muted" }),
    el("div", { id: "camera-counts", class: "camera-counts", "aria-label": "cameras per state" }),
    el("div", { class: "spacer" }),
    el("div", { id: "clock", class: "clock" }),
    el("div", { id: "who", class: "muted" }),
    el("button", { id: "logout", class: "ghost" }, "Log out"));
}

export function renderSession({ me, map }) {
  if (me) byId("who").textContent = `${me.username} · ${me.role}`;
  if (map) byId("site-name").textContent = map.site ? map.site.name : "";
}

function mode({ live, past, scrubAt, quiet, offline }) {
  if (past) return ["history", `HISTORY ${fmt.time(scrubAt)}`];
  if (quiet || offline) return ["stale", "CONNECTION LOST"];  // the stream went silent or down: the numbers may be old
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
