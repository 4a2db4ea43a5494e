// Boot: login, the live stream, the time scrubber, tabs and the clock.
"use strict";

function showLogin(message = "") {
  document.getElementById("login").hidden = false;
  document.getElementById("login-error").textContent = message;
  CT.token = null; sessionStorage.removeItem("ct-token");
  if (CT.stream) { CT.stream.abort(); CT.stream = null; }
}

async function onLogin(event) {
  event.preventDefault();
  try {
    const r = await api("/api/login", { method: "POST", json: { username: document.getElementById("login-user").value, password: document.getElementById("login-pass").value } });
    CT.token = r.token; sessionStorage.setItem("ct-token", r.token);
    document.getElementById("login-pass").value = "";
    await boot();
  } catch (e) { document.getElementById("login-error").textContent = e.message; }
}

// One server-sent event: its type ("message" when unnamed) and its data, or null for a comment.
function parseEvent(chunk) {
  const lines = chunk.split("\n");
  const type = (lines.find((l) => l.startsWith("event: ")) || "event: message").slice(7);
  const data = lines.filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\n");
  return data ? { type, data: JSON.parse(data) } : null;
}

// Server-sent events over fetch, so the bearer token travels in a header rather than the URL.
// The server ends the stream with a session_ended event once the session is logged out or expires.
async function followStream() {
  const token = CT.token;
  while (CT.token === token) {
    const stream = new AbortController(); CT.stream = stream;
    try {
      const response = await fetch("/api/stream", { headers: { Authorization: `Bearer ${token}` }, signal: stream.signal });
      if (response.status === 401) { showLogin("Your session has ended; log in again."); return; }
      const reader = response.body.getReader(), decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const { value, done } = await reader.read(); if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const event = parseEvent(buffer.slice(0, cut)); buffer = buffer.slice(cut + 2);
          if (event && event.type === "session_ended") { showLogin(event.data.message); return; }
          if (event && event.type === "live") onLive(event.data);
        }
      }
    } catch (e) { if (!stream.signal.aborted) console.warn("stream lost, reconnecting", e); }
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function onLive(snapshot) {
  CT.live = snapshot; CT.lastLive = Date.now();
  drawTiles(); drawNodes();
  if (!CT.past) { drawMap(); drawDrill(); }
}

async function loadRange() {
  CT.range = await api("/api/range");
  const scrub = document.getElementById("scrub");
  if (!CT.range.first) { scrub.disabled = true; return; }
  const first = Math.floor(new Date(CT.range.first).getTime() / 60000), last = Math.ceil(new Date(CT.range.last).getTime() / 60000);
  scrub.min = first; scrub.max = last;
  if (!CT.past) scrub.value = last;
  document.getElementById("scrub-label").textContent = CT.past ? fmt.time(CT.past.at) : `live · data ${fmt.time(CT.range.first)} → ${fmt.time(CT.range.last)}`;
}

let scrubTimer = null;
function onScrub() {
  clearTimeout(scrubTimer);
  scrubTimer = setTimeout(async () => {
    const at = new Date(Number(document.getElementById("scrub").value) * 60000).toISOString();
    CT.past = await api(`/api/state?at=${encodeURIComponent(at)}`); CT.scrubAt = at;
    setMode("history", `HISTORY ${fmt.time(at)}`);
    document.getElementById("scrub-label").textContent = fmt.time(at);
    document.getElementById("back-live").hidden = false;
    drawMap(); drawDrill(); loadHistory();
  }, 150);
}

function backToLive() {
  CT.past = null; CT.scrubAt = null;
  document.getElementById("back-live").hidden = true;
  loadRange(); drawTiles(); drawMap(); drawDrill(); loadHistory();
}

function openTab(name) {
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === name);
  for (const p of document.querySelectorAll(".pane")) p.classList.toggle("active", p.id === `pane-${name}`);
  if (name === "bench") loadBench(); else if (name === "audit") loadAudit(); else if (name === "history") loadHistory();
  else if (name === "residency") loadResidency();
}

async function boot() {
  if (!CT.token) { showLogin(); return; }
  try { CT.me = await api("/api/me"); } catch (e) { return; }
  document.getElementById("login").hidden = true;
  document.getElementById("who").textContent = `${CT.me.username} · ${CT.me.role}`;
  document.getElementById("tab-audit").hidden = !can("audit");
  CT.map = await api("/api/map");
  document.getElementById("site-name").textContent = CT.map.site ? CT.map.site.name : "";
  const camSelect = document.getElementById("hist-camera");
  camSelect.replaceChildren(el("option", { value: "" }, "all cameras"), ...CT.map.cameras.map((c) => el("option", { value: c.camera }, c.name || c.camera)));
  onLive(await api("/api/live"));
  await loadRange();
  await Promise.all([loadAlerts(), loadHistory()]);
  followStream();
}

function tick() {
  document.getElementById("clock").textContent = new Date().toISOString().slice(11, 19) + " UTC";
  // A stream that went quiet means the numbers on screen may be old.
  if (CT.token && CT.lastLive && Date.now() - CT.lastLive > 15000 && !CT.past) setMode("stale", "CONNECTION LOST");
}

document.getElementById("login-form").addEventListener("submit", onLogin);
document.getElementById("logout").addEventListener("click", async () => { try { await api("/api/logout", { method: "POST" }); } finally { showLogin(); } });
document.getElementById("scrub").addEventListener("input", onScrub);
document.getElementById("back-live").addEventListener("click", backToLive);
document.getElementById("bucket").addEventListener("change", loadHistory);
document.getElementById("hist-camera").addEventListener("change", () => { CT.histLine = null; loadHistory(); });
document.getElementById("sql-run").addEventListener("click", runSql);
document.getElementById("sql").addEventListener("keydown", (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) runSql(); });
for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => openTab(t.dataset.tab));
setInterval(tick, 1000); setInterval(() => { if (CT.me) { loadAlerts().catch(() => {}); if (!CT.past) loadRange().catch(() => {}); } }, 10000);
tick(); boot();
