// An approved volunteer chooses their password through the one-time link. The token leaves the address bar at once
// (not left in the history, or in a screenshot of it) and waits in this tab's session storage, so switching the
// page's language keeps it; it is forgotten once the password is set.
import { api, flash, t } from "./common.js";

const KEY = "angeli-invitation";
const given = new URLSearchParams(location.search).get("token");
if (given) {
  sessionStorage.setItem(KEY, given);
  const url = new URL(location.href);
  url.searchParams.delete("token");
  history.replaceState(null, "", url);
}
const token = sessionStorage.getItem(KEY);
const form = document.getElementById("welcome");
if (!token) {
  flash(t.welcome_no_token, "error");
  form.querySelector("button").disabled = true;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  if (data.get("password") !== data.get("repeat")) {
    flash(t.welcome_mismatch, "error");
    document.getElementById("w-repeat").focus();
    return;
  }
  try {
    await api("POST", `/auth/invitations/${encodeURIComponent(token)}`, { password: data.get("password") });
    sessionStorage.removeItem(KEY);
    for (const field of form.querySelectorAll("input, button[type=submit]")) field.disabled = true;
    flash(t.welcome_done, "ok");
    document.getElementById("w-next").hidden = false;
    document.querySelector("#w-next a").focus();
  } catch (error) {
    flash(error.message, "error");
  }
});
