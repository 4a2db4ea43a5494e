// The panels both cockpit pages (the operators' screen and the wall) draw, with the state fields each renders from.
import * as login from "./login.js";
import * as map from "./map.js";
import * as nodes from "./nodes.js";
import * as tiles from "./tiles.js";
import * as topbar from "./topbar.js";

// The login overlay and the top bar, put at the top of the page before any panel binds or renders.
export function buildFrame(screen) {
  document.body.prepend(login.form(screen), topbar.bar());
}

export const QUIET_MS = 15000;  // a stream silent this long means the numbers on screen may be old

export const COMMON_PANELS = [
  [["me", "loginMessage"], login.render],
  [["me", "map"], topbar.renderSession],
  [["live", "past", "scrubAt", "quiet", "offline"], topbar.renderBadge],
  [["live"], topbar.renderDataAge],
  [["live"], tiles.render],
  [["live"], nodes.renderCounts],
  [["map", "live", "past", "selected", "mapQuery", "mapHidden"], map.render],
];
