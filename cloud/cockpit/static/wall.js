// The wall: a read-only kiosk for the big screen. Open alerts first, the map, the city's totals; it needs no
// interaction after its login, and it follows the live stream, reconnecting by itself when the connection drops.
import { api, follow, loggedIn } from "./api.js";
import * as login from "./login.js";
import { COMMON_PANELS, QUIET_MS } from "./panels.js";
import { get, set, subscribe } from "./store.js";
import * as topbar from "./topbar.js";
import * as wallAlerts from "./wallalerts.js";

const PANELS = [...COMMON_PANELS, [["alerts"], wallAlerts.render]];

function onLive(live) {
  set({ live, lastLive: Date.now(), quiet: false });
}

// Whatever failed (the cockpit restarting, the network), try again until the session ends.
async function boot() {
  if (!loggedIn()) return;
  try {
    set({ me: await api("/api/me") });
    set({ map: await api("/api/map") });
    onLive(await api("/api/live"));
    await wallAlerts.load();
  } catch (e) {
    if (loggedIn()) setTimeout(boot, 5000);
    return;
  }
  follow("/api/stream", { live: onLive });
}

function tick() {
  topbar.renderClock();
  set({ quiet: !!(get("me") && get("lastLive") && Date.now() - get("lastLive") > QUIET_MS) });
}

function poll() {
  if (get("me")) wallAlerts.load().catch(() => {});
}

for (const [keys, render] of PANELS) subscribe(keys, render);
login.bind(boot);
setInterval(tick, 1000);
setInterval(poll, 10000);
tick();
boot();
