// One volunteer's page: details and roles, status, training (and recording a session), shifts, hours, calls.
import { api, day, el, fillRows, flash, locale, number, t, week, ZONE } from "./common.js";

const id = document.getElementById("volunteer").dataset.id;
const label = (prefix, value) => t[`${prefix}${value}`] || value;
const when = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: ZONE });
const hhmm = new Intl.DateTimeFormat(locale, { timeStyle: "short", timeZone: ZONE });
let sessions = 0;  // training sessions shown, to know when the read model has seen a new one

function profile(v) {
  const rows = [[t.name, v.name], [t.email, v.email], [t.join_phone, v.phone],
    [t.desk_role, v.roles.map((r) => label("desk_role_", r)).join(", ")], [t.status, label("desk_status_", v.status)],
    [t.join_municipality, v.municipality || "—"], [t.desk_registered, day(v.registered_at)],
    [t.desk_last_shift, v.last_shift_at ? day(v.last_shift_at) : t.desk_never]];
  document.getElementById("profile").replaceChildren(...rows.flatMap(([k, value]) => [el("dt", {}, k), el("dd", {}, value)]));
  document.getElementById("v-status").value = v.status;
  document.querySelector("h1").textContent = v.name || t.desk_volunteer_title;
  document.getElementById("training-total").textContent = `${number(Number(v.training_hours), 2, false)} h`;
  sessions = v.training.length;
  const training = document.querySelector("#training tbody");
  if (v.training.length) fillRows(training, v.training.map((s) => [day(s.trained_on), s.session, number(Number(s.hours), 2, false)]));
  else training.replaceChildren(el("tr", {}, el("td", { colspan: "3", class: "muted" }, t.desk_no_training)));
  const calls = document.querySelector("#calls tbody");
  if (v.calls.length) {
    fillRows(calls, v.calls.map((c) => [when.format(new Date(c.started_at)), label("desk_", c.direction),
      c.disposition ? label("", c.disposition) : "…", c.talk_seconds == null ? "—" : `${Math.round(c.talk_seconds / 60)} min`]));
  } else calls.replaceChildren(el("tr", {}, el("td", { colspan: "4", class: "muted" }, t.desk_no_calls)));
}

async function shifts() {
  const presence = await api("GET", `/volunteers/${id}/presence`);
  const list = await Promise.all(presence.shifts.map((s) => api("GET", `/shifts/${s}`)));
  list.sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  document.getElementById("shifts").replaceChildren(...(list.length ? list.map((s) => el("li", {},
    `${when.format(new Date(s.starts_at))}–${hhmm.format(new Date(s.ends_at))} · ${t.desk_shift_role} ${label("desk_role_", s.role)}`))
    : [el("li", { class: "muted" }, t.desk_no_shifts)]));
}

async function weeks() {
  const report = await api("GET", `/stats/volunteers/${id}/hours?period=week`);
  const body = document.querySelector("#weeks tbody");
  if (!report.periods.length) { body.replaceChildren(el("tr", {}, el("td", { colspan: "5", class: "muted" }, t.desk_no_hours))); return; }
  fillRows(body, report.periods.slice(-12).reverse().map((p) => [week(p.period, true), number(p.shift_hours, 1),
    number(p.talk_hours, 1), p.calls, number(p.training_hours, 1)]));
}

async function load() {
  const v = await api("GET", `/console/api/volunteers/${id}`);
  profile(v);
  return v;
}

// The page reads a read model: after a change, read again until it shows it.
async function reload(changed) {
  for (let i = 0; i < 20; i++) {
    const v = await load();
    if (changed(v)) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await weeks();
}

document.getElementById("status-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = new FormData(event.target).get("status");
  try {
    await api("POST", `/volunteers/${id}/status`, { status });
    flash(t.desk_status_saved, "ok");
    await reload((v) => v.status === status);
  } catch (error) { flash(error.message, "error"); }
});

document.getElementById("training-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const data = new FormData(event.target);
  try {
    const before = sessions;
    await api("POST", `/volunteers/${id}/training`, { session: data.get("session"), hours: data.get("hours"), trained_on: data.get("trained_on") });
    flash(t.desk_training_saved, "ok");
    event.target.reset();
    await reload((v) => v.training.length > before);
  } catch (error) { flash(error.message, "error"); }
});

// The console account: chosen password, or a link still to use; a coordinator can send a new link.
async function account() {
  const state = await api("GET", `/volunteers/${id}/invitation`);
  const text = document.getElementById("account-state");
  if (state.account) text.textContent = t.desk_account_set;
  else if (!state.expires_at) text.textContent = t.desk_account_none;
  else if (new Date(state.expires_at) <= new Date()) text.textContent = t.desk_account_expired;
  else text.textContent = t.desk_account_pending.replace("{when}", when.format(new Date(state.expires_at)));
  document.getElementById("reinvite").hidden = state.account;
  document.getElementById("account").hidden = false;
}

document.getElementById("reinvite").addEventListener("click", async (event) => {
  const button = event.currentTarget;
  button.disabled = true;
  try {
    const answer = await api("POST", `/volunteers/${id}/invitation`);
    const input = document.getElementById("reinvite-link");
    input.value = new URL(answer.link, location.origin).href;
    document.getElementById("reinvited").hidden = false;
    input.focus();
    input.select();
    await account();
  } catch (error) { flash(error.message, "error"); } finally { button.disabled = false; }
});

document.getElementById("copy-reinvite").addEventListener("click", async () => {
  const input = document.getElementById("reinvite-link");
  input.select();
  try { await navigator.clipboard.writeText(input.value); flash(t.desk_copied, "ok"); } catch { /* selected: Ctrl+C */ }
});

Promise.all([load(), shifts(), weeks(), account()]).catch((error) => flash(error.message, "error"));
