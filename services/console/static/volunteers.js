// The coordinator's desk: applications to approve or decline, and the roster with its filters.
import { api, day, el, flash, lang, t } from "./common.js";

const label = (prefix, value) => t[`${prefix}${value}`] || value;
const times = (slots) => slots.map((s) => { const [d, p] = s.split("-"); return `${label("join_day_", d)} ${label("join_part_", p).toLowerCase()}`; }).join(", ");

function application(a) {
  const reasonId = `reason-${a.application_id}`;
  const decline = el("form", { class: "row wrap decline" },
    el("div", { class: "grow" }, el("label", { for: reasonId }, t.desk_decline_reason),
      el("input", { id: reasonId, name: "reason", maxlength: "500", required: "" })),
    el("button", { type: "submit", class: "danger" }, t.desk_decline));
  const approve = el("button", { type: "button", class: "primary" }, t.desk_approve);
  approve.setAttribute("aria-label", `${t.desk_approve}: ${a.full_name}`);
  approve.addEventListener("click", () => decide(a, "approve", approve));
  decline.addEventListener("submit", (event) => {
    event.preventDefault();
    decide(a, "decline", decline.querySelector("button"), { reason: new FormData(decline).get("reason") });
  });
  return el("li", { class: "application card" },
    el("h3", {}, a.full_name || a.application_id.slice(0, 8)),
    el("p", { class: "small" }, `${a.email} · ${a.phone} · ${a.municipality}`),
    el("p", { class: "small" }, `${a.roles.map((r) => label("desk_role_", r)).join(", ")} — ${times(a.availability)}`),
    el("p", { class: "small muted" }, `${t.desk_submitted} ${day(a.submitted_at)}`),
    el("div", { class: "row wrap" }, approve), decline);
}

async function decide(a, verb, button, body) {
  button.disabled = true;
  try {
    const answer = await api("POST", `/applications/${a.application_id}/${verb}`, body);
    if (verb === "approve") {
      document.getElementById("approved-text").textContent = t.desk_approved.replace("{name}", a.full_name);
      document.getElementById("invite-link").value = new URL(answer.invitation.link, location.origin).href;
      document.getElementById("approved").hidden = false;
      document.getElementById("invite-link").focus();
    } else {
      flash(t.desk_declined, "ok");
    }
    await settle(a.application_id, answer && answer.volunteer_id);
  } catch (error) {
    flash(error.message, "error");
    button.disabled = false;
  }
}

const pause = () => new Promise((resolve) => setTimeout(resolve, 250));

// The lists are read models: read them again (for a few seconds at most) until they have seen the decision.
async function settle(applicationId, volunteerId) {
  for (let i = 0; i < 20; i++) {
    const pending = await loadApplications();
    if (!pending.some((a) => a.application_id === applicationId)) break;
    await pause();
  }
  for (let i = 0; i < 20; i++) {
    const listed = await loadRoster();
    if (!volunteerId || listed.some((v) => v.volunteer_id === volunteerId)) break;
    await pause();
  }
}

async function loadApplications() {
  const pending = await api("GET", "/applications?status=pending");
  document.getElementById("apps").replaceChildren(...pending.map(application));
  document.getElementById("no-apps").hidden = pending.length > 0;
  return pending;
}

async function loadRoster() {
  const query = new URLSearchParams([...new FormData(document.getElementById("filters"))].filter(([, v]) => v));
  const rows = await api("GET", `/console/api/volunteers?${query}`);
  document.querySelector("#roster tbody").replaceChildren(...rows.map((v) => el("tr", {},
    el("td", {}, el("a", { href: `/console/volunteers/${v.volunteer_id}?lang=${lang}` }, v.name || v.volunteer_id.slice(0, 8))),
    el("td", {}, v.roles.map((r) => label("desk_role_", r)).join(", ")),
    el("td", {}, label("desk_status_", v.status)),
    el("td", {}, v.municipality),
    el("td", {}, v.last_shift_at ? day(v.last_shift_at) : t.desk_never))));
  document.getElementById("no-volunteers").hidden = rows.length > 0;
  return rows;
}

document.getElementById("filters").addEventListener("submit", (event) => {
  event.preventDefault();
  loadRoster().catch((error) => flash(error.message, "error"));
});
document.getElementById("copy-link").addEventListener("click", async () => {
  const input = document.getElementById("invite-link");
  input.select();
  try { await navigator.clipboard.writeText(input.value); flash(t.desk_copied, "ok"); } catch { /* selected: Ctrl+C */ }
});

Promise.all([loadApplications(), loadRoster()]).catch((error) => flash(error.message, "error"));
