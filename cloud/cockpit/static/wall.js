// The wall: a read-only kiosk for the big screen. Open alerts first, the map, the city's totals; it needs no
// interaction after its login. When the cockpit cannot be reached it says so across the room and keeps trying:
// the stream every 2 s, a failed start every 5 s. A restarted cockpit that keeps its sessions (cockpit.session_file)
// takes the wall back without a new login; one that forgot them, or a session ended, shows the login with the reason.
import { api, follow, loggedIn, mapAndLive } from "./api.js";
import * as login from "./login.js";
import { buildFrame, COMMON_PANELS, QUIET_MS } from "./panels.js";
import { get, set, subscribe } from "./store.js";
import * as topbar from "./topbar.js";
import * as wallAlerts from "./wallalerts.js";
import * as connection from "./wallconnection.js";

const PANELS = [
  ...COMMON_PANELS,
  [["alerts"], wallAlerts.render],
  [["me", "offline", "quiet", "lastLive", "now"], connection.render],
];

function onLive(live) {
  set({ live, lastLive: Date.now(), quiet: false, offline: false });
}

// Back from a lost connection: what changed meanwhile comes at once, not at the next poll.
function onConnected() {
  if (get("offline")) wallAlerts.load().catch(() => {});
}

async function boot() {
  if (!loggedIn()) return;
  try {
    set({ me: await api("/api/me") });
    const [map, live] = await mapAndLive();
    set({ map });
    onLive(live);
    await wallAlerts.load();
  } catch (e) {
    if (loggedIn()) { set({ offline: true }); setTimeout(boot, 5000); }
    return;
  }
  follow("/api/stream", { live: onLive }, { connected: onConnected, lost: () => set({ offline: true }) });
}

function tick() {
  topbar.renderClock();
  const now = Date.now();
  set({ now, quiet: !!(get("me") && get("lastLive") && now - get("lastLive") > QUIET_MS) });
}

function poll() {
  if (get("me") && !get("offline")) wallAlerts.load().catch(() => {});
}

buildFrame("wall");
for (const [keys, render] of PANELS) subscribe(keys, render);
login.bind(boot);
setInterval(tick, 1000);
setInterval(poll, 10000);
tick();
boot();
