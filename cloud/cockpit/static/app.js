// Wiring: which panel renders from which part of the state, the controls, the login, the live stream, the timers.
import { api, follow, loggedIn, mapAndLive } from "./api.js";
import * as alerts from "./alerts.js";
import * as audit from "./audit.js";
import * as bench from "./bench.js";
import * as drill from "./drill.js";
import * as flows from "./flows.js";
import * as history from "./history.js";
import * as login from "./login.js";
import * as map from "./map.js";
import * as nodes from "./nodes.js";
import * as residency from "./residency.js";
import * as scrubber from "./scrubber.js";
import * as sql from "./sql.js";
import { get, set, subscribe } from "./store.js";
import { buildFrame, COMMON_PANELS, QUIET_MS } from "./panels.js";
import * as tabs from "./tabs.js";
import * as topbar from "./topbar.js";

// The one redraw path: each panel renders when a field it reads changes.
const PANELS = [
  ...COMMON_PANELS,
  [["map", "live", "past", "selected"], drill.render],
  [["flows", "selected"], flows.render],
  [["live"], nodes.render],
  [["alerts", "me"], alerts.render],
  [["range", "past", "scrubAt"], scrubber.render],
  [["map", "bucket", "histCamera"], history.renderControls],
  [["history"], history.render],
  [["tab", "me"], tabs.render],
  [["sql"], sql.render],
  [["bench"], bench.render],
  [["audit"], audit.render],
  [["residency"], residency.render],
  // The chart is fetched again whenever what it shows changes.
  [["bucket", "histCamera", "histLine", "scrubAt", "selected"], history.load],
  [["selected", "scrubAt"], flows.load],
];

function onLive(live) {
  set({ live, lastLive: Date.now(), quiet: false });
}

async function boot() {
  if (!loggedIn()) return;
  let me;
  try { me = await api("/api/me"); } catch (e) { return; }  // a 401 has shown the login screen
  set({ me });
  const [map, live] = await mapAndLive();
  set({ map });
  onLive(live);
  await scrubber.loadRange();
  await Promise.all([alerts.load(), history.load()]);
  follow("/api/stream", { live: onLive });
}

function tick() {
  topbar.renderClock();
  set({ quiet: !!(get("me") && get("lastLive") && Date.now() - get("lastLive") > QUIET_MS) });
}

function poll() {
  if (!get("me")) return;
  alerts.load().catch(() => {});
  if (!get("past")) flows.load().catch(() => {});  // live flows move on; a scrubbed instant's stay as they are
  if (!get("past")) scrubber.loadRange().catch(() => {});
}

buildFrame("cockpit");
for (const [keys, render] of PANELS) subscribe(keys, render);
login.bind(boot);
scrubber.bind();
map.bind();
nodes.bind();
history.bind();
sql.bind();
tabs.bind({ history: () => history.load(), bench: bench.load, audit: audit.load, residency: residency.load });
setInterval(tick, 1000);
setInterval(poll, 10000);
tick();
boot();
