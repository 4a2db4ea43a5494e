// The bottom pane's tabs: opening one shows its pane and loads it afresh.
import { byId } from "/shared/dom.js";
import { can, set } from "./store.js";

const loaders = {};

function open(name) {
  set({ tab: name });
  if (loaders[name]) loaders[name]();
}

export function render({ tab }) {
  for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t.dataset.tab === tab);
  for (const p of document.querySelectorAll(".pane")) p.classList.toggle("active", p.id === `pane-${tab}`);
  byId("tab-audit").hidden = !can("audit");
}

// load: tab name -> what fetches its content.
export function bind(load) {
  Object.assign(loaders, load);
  for (const t of document.querySelectorAll(".tab")) t.addEventListener("click", () => open(t.dataset.tab));
}
