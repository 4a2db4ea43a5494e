// The cockpit's API client: the bearer token, the one error shape, the live stream and the end of a session.
// A session ends here (a 401, the stream's session_ended event, a logout); this module only announces it
// with a "logged-out" event on `session`, and whoever shows the login screen listens for it.

const TOKEN_KEY = "ct-token";
const ENDED = "Your session has ended; log in again.";

let token = sessionStorage.getItem(TOKEN_KEY);
let stream = null;  // the AbortController of the open stream

export const session = new EventTarget();

export class ApiError extends Error {
  constructor(status, code, message) { super(message); this.status = status; this.code = code; }
}

export function loggedIn() {
  return token !== null;
}

function endSession(message) {
  token = null; sessionStorage.removeItem(TOKEN_KEY);
  if (stream) { stream.abort(); stream = null; }
  session.dispatchEvent(new CustomEvent("logged-out", { detail: { message } }));
}

// JSON in and out; an error answer ({"error": {"code", "message"}}) becomes an ApiError.
export async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (options.json !== undefined) { headers["Content-Type"] = "application/json"; options.body = JSON.stringify(options.json); }
  const response = await fetch(path, { ...options, headers });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw refusal(response, body, path);
  return body;
}

// The error an answer that is not ok carries; a 401 anywhere but at the login ends the session.
function refusal(response, body, path) {
  const error = (body && body.error) || { code: "http_error", message: response.statusText };
  if (response.status === 401 && path !== "/api/login") endSession(ENDED);
  return new ApiError(response.status, error.code, error.message);
}

// A file the API makes (a download): saved under the name the server gives, through a link to its bytes, since the
// bearer token travels in a header that a plain link cannot carry.
// The map and the live state, fetched together: a first screen waits for the slower of the two, not for both.
export const mapAndLive = () => Promise.all([api("/api/map"), api("/api/live")]);

export async function download(path) {
  const response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  if (!response.ok) throw refusal(response, await response.json().catch(() => null), path);
  const named = /filename="([A-Za-z0-9_.-]+)"/.exec(response.headers.get("Content-Disposition") || "");
  const url = URL.createObjectURL(await response.blob());
  const link = Object.assign(document.createElement("a"), { href: url, download: named ? named[1] : "download" });
  document.body.append(link); link.click(); link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export async function login(username, password) {
  const r = await api("/api/login", { method: "POST", json: { username, password } });
  token = r.token; sessionStorage.setItem(TOKEN_KEY, r.token);
}

// The session ends on this screen whether or not the server still knew it.
export async function logout() {
  try { await api("/api/logout", { method: "POST" }); } catch (e) { /* already ended on the server */ } finally { endSession(""); }
}

// One server-sent event: its type ("message" when unnamed), its id and its data, or null for a comment.
function parseEvent(chunk) {
  const lines = chunk.split("\n");
  const type = (lines.find((l) => l.startsWith("event: ")) || "event: message").slice(7);
  const id = (lines.find((l) => l.startsWith("id: ")) || "id: ").slice(4);
  const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
  return data ? { type, id, data: JSON.parse(data) } : null;
}

// The live stream sends the snapshot once, then what changed (live_changes: fields replaced, and [position, entry]
// for the entries of a list that changed); the handlers always get a whole snapshot. Entries that did not change
// are the same objects as before, so a panel can skip them by identity.
function liveSnapshots(onLive) {
  let current = null, version = null;
  return {
    live(snapshot, id) { current = snapshot; version = Number(id); onLive(snapshot); },
    live_changes(changes) {
      if (current === null || changes.base !== version) throw new Error(`live changes for version ${changes.base}, the screen has ${version}`);
      const next = { ...current, ...changes.fields };
      for (const [key, entries] of Object.entries(changes.entries)) {
        const list = current[key].slice();
        for (const [i, entry] of entries) list[i] = entry;
        next[key] = list;
      }
      current = next; version = changes.version;
      onLive(next);
    },
  };
}

// A snapshot of a large city arrives in many chunks: the end of an event is looked for only in what is new, so
// a megabyte is scanned once, not once per chunk.
async function readEvents(response, handlers) {
  const reader = response.body.getReader(), decoder = new TextDecoder();
  let buffer = "", scanned = 0;
  for (;;) {
    const { value, done } = await reader.read(); if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n", scanned)) >= 0) {
      scanned = 0;
      const event = parseEvent(buffer.slice(0, cut)); buffer = buffer.slice(cut + 2);
      if (event && event.type === "session_ended") { endSession(event.data.message); return; }
      if (event && handlers[event.type]) handlers[event.type](event.data, event.id);
    }
    scanned = Math.max(0, buffer.length - 1);
  }
}

// Server-sent events over fetch, so the bearer token travels in a header rather than the URL; handlers by
// event type. It reconnects every 2 s while the session lasts; the server ends the stream with session_ended once
// the session is logged out or expires. `connection` follows the stream itself: `connected()` once one is open,
// `lost()` when it failed or ended while the session lasts (the server down, the network, a proxy).
export async function follow(path, handlers, connection = {}) {
  const mine = token;
  while (mine !== null && token === mine) {
    const controller = new AbortController(); stream = controller;
    const own = handlers.live ? { ...handlers, ...liveSnapshots(handlers.live) } : handlers;  // a new stream starts whole
    try {
      const response = await fetch(path, { headers: { Authorization: `Bearer ${mine}` }, signal: controller.signal });
      if (response.status === 401) { endSession(ENDED); return; }
      if (!response.ok) throw new ApiError(response.status, "http_error", `the stream answered ${response.status}`);
      if (connection.connected) connection.connected();
      await readEvents(response, own);
    } catch (e) { if (!controller.signal.aborted) console.warn("stream lost, reconnecting", e); }
    if (token !== mine) return;
    if (connection.lost) connection.lost();
    await new Promise((r) => setTimeout(r, 2000));
  }
}
