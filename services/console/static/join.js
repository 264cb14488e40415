// The public sign-up form: checks what a person can fix before sending, then sends one application.
import { api, flash, t } from "./common.js";

const form = document.getElementById("join");

function problem(data) {
  if (!data.getAll("roles").length) return [t.join_pick_role, "j-roles"];
  if (!data.getAll("availability").length) return [t.join_pick_time, "j-times"];
  if (!data.get("consent")) return [t.join_need_consent, "j-consent"];
  for (const input of form.querySelectorAll("input[required]")) {
    if (!input.checkValidity()) return [`${form.querySelector(`label[for=${input.id}]`).textContent}: ${input.validationMessage}`, input.id];
  }
  return null;
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(form);
  const wrong = problem(data);
  if (wrong) {
    flash(wrong[0], "error");
    const target = document.getElementById(wrong[1]);
    (target.querySelector("input") || target).focus();
    return;
  }
  const button = form.querySelector("button[type=submit]");
  button.disabled = true;
  try {
    await api("POST", "/applications", {
      full_name: data.get("full_name"), email: data.get("email"), phone: data.get("phone"),
      municipality: data.get("municipality"), roles: data.getAll("roles"), availability: data.getAll("availability"),
      consent: true, consent_version: data.get("consent_version"), website: data.get("website") || "" });
    form.hidden = true;
    flash(t.join_sent, "ok");
    document.getElementById("flash").focus();
  } catch (error) {
    flash(error.status === 429 ? tooMany(error.message) : error.message, "error");
    button.disabled = false;
  }
});

// The per-address limit's refusal in the page's language, with the wait in minutes (the server says seconds).
function tooMany(message) {
  const seconds = Number((/in (\d+) seconds/.exec(message) || [])[1] || 3600);
  return t.join_too_many.replace("{minutes}", String(Math.max(1, Math.ceil(seconds / 60))));
}
