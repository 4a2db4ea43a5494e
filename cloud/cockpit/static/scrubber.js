// The time scrubber: a minute per step over the twin's data; moving it shows the twin at that instant.
import { byId } from "/shared/dom.js";
import { api } from "./api.js";
import { fmt } from "./format.js";
import { set } from "./store.js";

export async function loadRange() {
  set({ range: await api("/api/range") });
}

export function render({ range, past, scrubAt }) {
  byId("back-live").hidden = !past;
  if (!range) return;
  const scrub = byId("scrub");
  scrub.disabled = !range.first;
  if (!range.first) return;
  scrub.min = Math.floor(new Date(range.first).getTime() / 60000);
  scrub.max = Math.ceil(new Date(range.last).getTime() / 60000);
  if (!past) scrub.value = scrub.max;
  byId("scrub-label").textContent = past ? fmt.time(scrubAt) : `live · data ${fmt.time(range.first)} → ${fmt.time(range.last)}`;
}

let timer = null;
function onScrub() {
  clearTimeout(timer);
  timer = setTimeout(async () => {
    const at = new Date(Number(byId("scrub").value) * 60000).toISOString();
    set({ past: await api(`/api/state?at=${encodeURIComponent(at)}`), scrubAt: at });
  }, 150);
}

function backToLive() {
  set({ past: null, scrubAt: null });
  loadRange();
}

export function bind() {
  byId("scrub").addEventListener("input", onScrub);
  byId("back-live").addEventListener("click", backToLive);
}
