// The login screen: shown whenever no one is logged in, with the reason (a wrong password, a session that ended).
import { byId, el } from "/shared/dom.js";
import { login, logout, session } from "./api.js";
import { set } from "./store.js";

// The login overlay, the same on every page; `screen` names the page under the brand ("cockpit", "wall").
export function form(screen) {
  return el("div", { id: "login", class: "overlay" },
    el("form", { id: "login-form", class: "card login-card", autocomplete: "on" },
      el("h1", {}, "citytwin ", el("span", { class: "muted" }, screen)),
      el("label", {}, "User ", el("input", { id: "login-user", name: "username", autocomplete: "username", required: "" })),
      el("label", {}, "Password ",
        el("input", { id: "login-pass", name: "password", type: "password", autocomplete: "current-password", required: "" })),
      el("button", { type: "submit", id: "login-submit" }, "Log in"),
      el("p", { id: "login-error", class: "error", role: "alert" })));
}

export function render({ me, loginMessage }) {
  byId("login").hidden = me !== null;
  byId("login-error").textContent = loginMessage;
}

// onLogin: what to load once a user is in.
export function bind(onLogin) {
  byId("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await login(byId("login-user").value, byId("login-pass").value);
      byId("login-pass").value = "";
      await onLogin();
    } catch (e) { set({ loginMessage: e.message }); }
  });
  byId("logout").addEventListener("click", logout);
  session.addEventListener("logged-out", (e) => set({ me: null, loginMessage: e.detail.message }));
}
