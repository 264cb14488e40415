// An approved volunteer chooses their password through the one-time link; the token leaves the address bar at once.
import { api, flash, t } from "./common.js";

const token = new URLSearchParams(location.search).get("token");
const form = document.getElementById("welcome");
if (token) {
  const url = new URL(location.href);
  url.searchParams.delete("token");
  history.replaceState(null, "", url);  // not left in the history or a screenshot of the address bar
} else {
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
    for (const field of form.querySelectorAll("input, button[type=submit]")) field.disabled = true;
    flash(t.welcome_done, "ok");
    document.getElementById("w-next").hidden = false;
    document.querySelector("#w-next a").focus();
  } catch (error) {
    flash(error.message, "error");
  }
});
