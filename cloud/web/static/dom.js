// Building DOM and SVG elements: one helper for both screens (imported from /shared/dom.js).

const SVG_NS = "http://www.w3.org/2000/svg";

// Attributes named on… become listeners; null, undefined and false leave the attribute out.
// Text children become text nodes, never markup, so data from the API cannot inject elements.
function build(node, attrs, children) {
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value); else node.setAttribute(name, value);
  }
  for (const child of children.flat()) node.append(child instanceof Node ? child : document.createTextNode(child ?? ""));
  return node;
}

export function el(tag, attrs = {}, ...children) {
  return build(document.createElement(tag), attrs, children);
}

export function svg(tag, attrs = {}, ...children) {
  return build(document.createElementNS(SVG_NS, tag), attrs, children);
}

export function byId(id) {
  return document.getElementById(id);
}
