// Zoom in and out buttons for the map. MapLibre's NavigationControl draws its icons as data: images from its CSS,
// which the Content-Security-Policy (img-src 'self') refuses; these buttons show the screen's own SVG files.
import { el } from "/shared/dom.js";

export class ZoomControl {
  onAdd(gl) {
    const button = (dir, label) => el("button", { type: "button", class: `map-zoom-${dir}`, title: label, "aria-label": label,
      onclick: () => (dir === "in" ? gl.zoomIn() : gl.zoomOut()) }, el("img", { src: `/static/icons/zoom-${dir}.svg`, alt: "" }));
    this.zoomIn = button("in", "Zoom in");
    this.zoomOut = button("out", "Zoom out");
    // At the map's closest or farthest zoom the button that can do no more is disabled.
    this.limits = () => {
      this.zoomIn.disabled = gl.getZoom() >= gl.getMaxZoom();
      this.zoomOut.disabled = gl.getZoom() <= gl.getMinZoom();
    };
    gl.on("zoom", this.limits);
    this.gl = gl;
    this.node = el("div", { class: "maplibregl-ctrl maplibregl-ctrl-group map-zoom" }, this.zoomIn, this.zoomOut);
    return this.node;
  }

  onRemove() {
    this.gl.off("zoom", this.limits);
    this.node.remove();
  }
}
