// The login screen: shown whenever no one is logged in, with the reason (a wrong password, a session that ended).
import { byId } from "/shared/dom.js";
import { login, logout, session } from "./api.js";
import { set } from "./store.js";

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
