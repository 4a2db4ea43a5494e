// What the map draws under the site (cockpit.basemap): nothing, XYZ raster tiles, a MapLibre style, or one PMTiles
// archive that the cockpit serves itself (/basemap.pmtiles), read by HTTP range requests through the pmtiles protocol.
// `own` is the site's style: its sources and layers, over the ground the page paints; the basemap goes under its layers.
import { addProtocol } from "/shared/vendor/maplibre-gl/maplibre-gl.mjs";
import { PMTiles, Protocol, TileType } from "/shared/vendor/pmtiles/pmtiles.mjs";
import { byId } from "/shared/dom.js";

const LAND = "#1c2630", EDGE = "#3a4654";
const protocol = new Protocol();
let registered = false;

// Any style may name a pmtiles:// source, so the protocol is there whatever the basemap.
function register() {
  if (!registered) addProtocol("pmtiles", protocol.tile);
  registered = true;
}

function under(own, sources, layers) {
  return { ...own, sources: { ...sources, ...own.sources }, layers: [...layers, ...own.layers] };
}

// The map's first style and its attribution control.
export function options(base, own) {
  register();
  const attributionControl = base.attribution || base.type === "style" ? { compact: true } : false;
  if (base.type === "style") return { style: base.url, attributionControl };
  if (base.type === "xyz") {
    const source = { type: "raster", tiles: [base.url], tileSize: 256, attribution: base.attribution };
    return { style: under(own, { basemap: source }, [{ id: "basemap", type: "raster", source: "basemap" }]), attributionControl };
  }
  return { style: own, attributionControl };
}

// A vector archive has no style of its own: its layers are drawn as quiet land and edges, so the site stays on top.
function vectorLayers(metadata) {
  const polygons = ["in", ["geometry-type"], ["literal", ["Polygon", "MultiPolygon"]]];
  return (metadata.vector_layers || []).flatMap(({ id }) => [
    { id: `basemap-${id}-fill`, type: "fill", source: "basemap", "source-layer": id, filter: polygons, paint: { "fill-color": LAND } },
    { id: `basemap-${id}-line`, type: "line", source: "basemap", "source-layer": id, paint: { "line-color": EDGE, "line-width": 1 } },
  ]);
}

async function addArchive(gl, base, own) {
  const archive = new PMTiles(base.url.slice("pmtiles://".length));
  protocol.add(archive);
  const header = await archive.getHeader();
  const raster = header.tileType !== TileType.Mvt;
  gl.addSource("basemap", { type: raster ? "raster" : "vector", url: base.url, attribution: base.attribution, ...(raster ? { tileSize: 256 } : {}) });
  const layers = raster ? [{ id: "basemap", type: "raster", source: "basemap" }] : vectorLayers(await archive.getMetadata());
  const [first] = own.layers;
  for (const layer of layers) gl.addLayer(layer, first && first.id);
  // For whoever must know the basemap is drawn (the browser tests).
  gl.on("sourcedata", (e) => { if (e.sourceId === "basemap" && e.isSourceLoaded) byId("map").dataset.basemap = "loaded"; });
}

// Once the first style has loaded: a style basemap gets the site on top of it, a PMTiles one goes under the site.
export function loaded(gl, base, own) {
  if (base.type === "style") {
    for (const [id, source] of Object.entries(own.sources)) gl.addSource(id, source);
    for (const layer of own.layers) gl.addLayer(layer);
  }
  if (base.type === "pmtiles") addArchive(gl, base, own).catch((e) => console.error("the PMTiles basemap could not be read", e));
}
