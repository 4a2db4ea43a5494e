// The screen's state: every field is declared here, changed only through set, watched through subscribe.
// Panels render from it; a change reaches each subscriber once, however many of its keys changed.

const DECLARED = {
  me: null,           // the logged-in user: username, role, permissions (GET /api/me); null when logged out
  loginMessage: "",   // why the login screen shows: a wrong password, or a session that ended
  map: null,          // site, cameras, zones and lines with their map geometry (GET /api/map)
  live: null,         // the newest live snapshot (GET /api/live, then the stream)
  lastLive: 0,        // when it arrived (ms since the epoch)
  quiet: false,       // the stream has been silent too long: what the screen shows may be old
  offline: false,     // the stream is down (the cockpit unreachable) and reconnecting
  now: 0,             // the last tick of the screen's clock (ms since the epoch), for what shows an age
  range: null,        // first and last event time in the twin (GET /api/range)
  past: null,         // the twin at the scrubbed instant (GET /api/state), null when live
  scrubAt: null,      // that instant (ISO 8601), null when live
  selected: null,     // the camera, zone or line clicked on the map: { kind, key, camera, zone?, line? }
  mapQuery: "",       // the map's search box: cameras, lines and zones whose id or name contains it
  mapHidden: [],      // camera states the map's filters hide
  flows: null,        // the selected camera's turns and queues (GET /api/flows), null when none is selected
  bucket: "15 minutes",  // the history chart's bucket
  histCamera: "",     // the camera the history chart follows, "" for all
  histLine: null,     // the line it follows within that camera, or null
  history: null,      // the chart's answer and the query it answers: { query, answer }
  tab: "history",     // the bottom pane shown
  alerts: null,       // the newest alerts and the per-rule false-alarm counts: { list, feedback }
  sql: null,          // the console: { running } while a query runs, then { result } or { error }
  bench: null,        // benchmark results (GET /api/benchmarks)
  audit: null,        // the newest audit records (GET /api/audit)
  residency: null,    // where each dataset lives (GET /api/residency)
};

const state = { ...DECLARED };
const subscribers = [];

function known(key) {
  if (!Object.hasOwn(DECLARED, key)) throw new Error(`the screen's state has no field ${key}: declare it in store.js`);
  return key;
}

// A snapshot for one render: panels read it and change state only through set.
export function snapshot() {
  return Object.freeze({ ...state });
}

function run(fn) {
  try {
    const result = fn(snapshot());
    if (result instanceof Promise) result.catch((e) => console.error("a panel failed to render", e));
  } catch (e) { console.error("a panel failed to render", e); }
}

export function get(key) {
  return state[known(key)];
}

export function set(changes) {
  const changed = new Set();
  for (const [key, value] of Object.entries(changes)) {
    if (!Object.is(state[known(key)], value)) { state[key] = value; changed.add(key); }
  }
  if (!changed.size) return;
  for (const { keys, fn } of [...subscribers]) if (keys.some((k) => changed.has(k))) run(fn);
}

// fn(state) runs after every set that changes one of keys; the returned function unsubscribes.
export function subscribe(keys, fn) {
  const entry = { keys: keys.map(known), fn };
  subscribers.push(entry);
  return () => { const i = subscribers.indexOf(entry); if (i >= 0) subscribers.splice(i, 1); };
}

// Whether the logged-in user's role grants a permission (ack, audit, ...).
export function can(permission) {
  return !!(state.me && state.me.permissions.includes(permission));
}
