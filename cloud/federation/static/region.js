// The regional screen: draws every city of the region with its federated totals, every 10 s.
"use strict";
const NS = "http://www.w3.org/2000/svg";
function node(tag, attrs, text) {
  const n = document.createElementNS(tag === "tr" || tag === "td" ? "http://www.w3.org/1999/xhtml" : NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) n.setAttribute(k, v);
  if (text !== undefined) n.textContent = text;
  return n;
}
function draw(state) {
  document.getElementById("title").textContent = state.region.name;
  const cities = state.cities;
  const lats = cities.map((c) => c.lat), lons = cities.map((c) => c.lon);
  const pad = 0.2, minLat = Math.min(...lats) - pad, maxLat = Math.max(...lats) + pad;
  const minLon = Math.min(...lons) - pad, maxLon = Math.max(...lons) + pad;
  const x = (lon) => 60 + (lon - minLon) / (maxLon - minLon) * 880;
  const y = (lat) => 640 - (lat - minLat) / (maxLat - minLat) * 580;
  const biggest = Math.max(1, ...cities.map((c) => c.crossings));
  const svg = document.getElementById("map");
  svg.replaceChildren(...cities.map((c) => {
    const g = node("g", { class: "city", "data-city": c.id });
    const r = 10 + 40 * Math.sqrt(c.crossings / biggest);
    g.append(node("circle", { cx: x(c.lon), cy: y(c.lat), r }));
    g.append(node("text", { x: x(c.lon) + r + 6, y: y(c.lat) + 4 }, `${c.name}: ${c.crossings.toLocaleString()} crossings`));
    return g;
  }));
  const body = document.querySelector("#cities tbody");
  body.replaceChildren(...cities.map((c) => {
    const tr = document.createElement("tr"); tr.dataset.city = c.id;
    for (const [v, cls] of [[c.name, ""], [c.crossings.toLocaleString(), "n"], [c.peak_occupancy, "n"], [c.last_bucket || "–", ""]]) {
      const td = document.createElement("td"); td.textContent = v; if (cls) td.className = cls; tr.append(td);
    }
    return tr;
  }));
  document.getElementById("total").textContent = `Region total: ${state.crossings.toLocaleString()} crossings`;
}
async function load() {
  const r = await fetch("/api/region");
  if (r.ok) draw(await r.json());
}
load(); setInterval(load, 10000);
