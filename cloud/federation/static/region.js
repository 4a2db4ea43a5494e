// The regional screen: draws every city of the region with its federated totals, every 10 s.
import { byId, el, svg } from "/shared/dom.js";

function cityMarks(cities) {
  const lats = cities.map((c) => c.lat), lons = cities.map((c) => c.lon);
  const pad = 0.2, minLat = Math.min(...lats) - pad, maxLat = Math.max(...lats) + pad;
  const minLon = Math.min(...lons) - pad, maxLon = Math.max(...lons) + pad;
  const x = (lon) => 60 + (lon - minLon) / (maxLon - minLon) * 880;
  const y = (lat) => 640 - (lat - minLat) / (maxLat - minLat) * 580;
  const biggest = Math.max(1, ...cities.map((c) => c.crossings));
  return cities.map((c) => {
    const r = 10 + 40 * Math.sqrt(c.crossings / biggest);
    return svg("g", { class: "city", "data-city": c.id },
      svg("circle", { cx: x(c.lon), cy: y(c.lat), r }),
      svg("text", { x: x(c.lon) + r + 6, y: y(c.lat) + 4 }, `${c.name}: ${c.crossings.toLocaleString()} crossings`));
  });
}

function cityRow(c) {
  return el("tr", { "data-city": c.id }, el("td", {}, c.name), el("td", { class: "n" }, c.crossings.toLocaleString()),
    el("td", { class: "n" }, String(c.peak_occupancy)), el("td", { class: "n" }, c.heatmap_cells.toLocaleString()),
    el("td", {}, c.last_bucket || "–"));
}

function draw(state) {
  byId("title").textContent = state.region.name;
  byId("map").replaceChildren(...cityMarks(state.cities));
  document.querySelector("#cities tbody").replaceChildren(...state.cities.map(cityRow));
  byId("total").textContent = `Region total: ${state.crossings.toLocaleString()} crossings`;
}

async function load() {
  const r = await fetch("/api/region");
  if (r.ok) draw(await r.json());
}

load(); setInterval(load, 10000);
