// The live board: the state comes as server-sent events (polling when EventSource fails), durations tick here.
import { api, ApiError, el, flash, lang, locale, me, t, ZONE } from "./common.js";
import { FOLLOW_MS, passesThrough, telephony } from "./telephony.js";

const POLL_MS = 5000;
let state = null;
let offset = 0; // the product's clock minus this computer's: durations are the product's
const names = new Map();
let canName = false, canCorrect = false;
let current = null; // the forgotten clock-out being corrected

const serverNow = () => Date.now() + offset;

// A duration as the reader writes one: "1 h e 5 min" / "1 hr, 5 min" (Intl.DurationFormat), else "1 h 5 min".
// Units of zero are left out ("13 h", not "13 h 0 min"), except the seconds of a call that just began ("0 s").
const durationFormat = "DurationFormat" in Intl ? new Intl.DurationFormat(locale, { style: "short" }) : null;
const secondsFormat = "DurationFormat" in Intl
  ? new Intl.DurationFormat(locale, { style: "short", secondsDisplay: "always" }) : null;
export function duration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), seconds = total % 60;
  const parts = total < 60 ? { seconds } : hours ? { hours, minutes } : { minutes };
  if (durationFormat) return (total < 60 ? secondsFormat : durationFormat).format(parts);
  return total < 60 ? `${seconds} s` : [hours && `${hours} h`, minutes && `${minutes} min`].filter(Boolean).join(" ");
}

const clockTime = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
const dayTime = new Intl.DateTimeFormat(locale, { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: ZONE });
function when(iso) {
  const date = new Date(iso);
  const sameDay = new Date(serverNow()).toLocaleDateString("en-CA", { timeZone: ZONE }) === date.toLocaleDateString("en-CA", { timeZone: ZONE });
  return (sameDay ? clockTime : dayTime).format(date);
}

// The centre's wall time of an instant, as a datetime-local input wants it (2026-12-02T18:30), and back.
const wallParts = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, hourCycle: "h23", year: "numeric", month: "2-digit",
  day: "2-digit", hour: "2-digit", minute: "2-digit" });
function romeWall(ms) {
  const p = Object.fromEntries(wallParts.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}
function romeInstant(wall) {
  const guess = Date.parse(`${wall}:00Z`);
  let instant = guess - (Date.parse(`${romeWall(guess)}:00Z`) - guess);
  instant = guess - (Date.parse(`${romeWall(instant)}:00Z`) - instant);
  const minutes = Math.round((guess - instant) / 60000), sign = minutes < 0 ? "-" : "+", abs = Math.abs(minutes);
  return `${wall}:00${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

function who(id) {
  return names.get(id) || id.slice(0, 8);
}

function ticking(iso) {
  return el("span", { "data-since": iso }, duration(serverNow() - Date.parse(iso)));
}

function fill(table, rows, emptyId) {
  // Each cell carries its column's heading: at phone width a row is a small card of "heading: value" pairs.
  const headings = [...document.querySelectorAll(`#${table} thead th`)].map((th) => th.textContent.trim());
  for (const row of rows) {
    [...row.children].forEach((cell, i) => { if (cell.tagName === "TD" && headings[i] && !cell.querySelector("button")) cell.dataset.label = headings[i]; });
  }
  document.querySelector(`#${table} tbody`).replaceChildren(...rows);
  document.getElementById(table).hidden = rows.length === 0;
  document.getElementById(emptyId).hidden = rows.length > 0;
}

function shiftEnd(person) {
  return person.shift_ends_at ? when(person.shift_ends_at) : t.now_no_shift;
}

function render() {
  const s = state;
  document.getElementById("count-in").textContent = s.on_call.length + s.idle.length + s.forgotten.length;
  document.getElementById("count-call").textContent = s.on_call.length;
  document.getElementById("count-idle").textContent = s.idle.length;
  document.getElementById("count-forgotten").textContent = s.forgotten.length;
  fill("on-call", s.on_call.map((p) => el("tr", { "data-volunteer": p.volunteer_id },
    el("th", { scope: "row" }, who(p.volunteer_id)), el("td", {}, t[`now_kind_${p.kind}`] || p.kind),
    el("td", { class: "num" }, ticking(p.since)), el("td", { class: "num" }, ticking(p.clocked_in_at)))), "on-call-empty");
  fill("idle", s.idle.map((p) => el("tr", { "data-volunteer": p.volunteer_id },
    el("th", { scope: "row" }, who(p.volunteer_id)), el("td", { class: "num" }, ticking(p.since)),
    el("td", { class: "num" }, ticking(p.clocked_in_at)), el("td", {}, shiftEnd(p)))), "idle-empty");
  fill("forgotten", s.forgotten.map((p) => {
    const cells = [el("th", { scope: "row" }, who(p.volunteer_id)), el("td", { class: "num" }, ticking(p.clocked_in_at)),
      el("td", {}, shiftEnd(p))];
    if (canCorrect) {
      const button = el("button", { type: "button", "aria-label": `${t.now_correct}: ${who(p.volunteer_id)}` }, t.now_correct);
      button.addEventListener("click", () => openCorrection(p, button));
      cells.push(el("td", {}, button));
    } else {
      cells.push(el("td", {}, ""));
    }
    return el("tr", { "data-volunteer": p.volunteer_id }, ...cells);
  }), "forgotten-empty");
  fill("next-hour", s.next_hour.map((slot) => el("tr", {},
    el("td", {}, `${when(slot.starts_at)}–${when(slot.ends_at)}`), el("td", {}, t[`now_role_${slot.role}`] || slot.role),
    el("td", { class: "num" }, `${slot.empty} / ${slot.capacity}`))), "next-hour-empty");
}

function tick() {
  for (const span of document.querySelectorAll("[data-since]")) {
    span.textContent = duration(serverNow() - Date.parse(span.dataset.since));
  }
}

// Names only of volunteers not named yet: every read is in the vault's access trail.
async function learnNames(s) {
  if (!canName) return false;
  const ids = [...s.on_call, ...s.idle, ...s.forgotten].map((p) => p.volunteer_id).concat(s.coordinators)
    .filter((id) => !names.has(id));
  const unique = [...new Set(ids)];
  if (!unique.length) return false;
  for (let i = 0; i < unique.length; i += 100) { // a hundred ids keep the address short (about 5 KB)
    const query = unique.slice(i, i + 100).map((id) => `volunteer_id=${encodeURIComponent(id)}`).join("&");
    for (const row of await api("GET", `/console/api/board/names?${query}`)) names.set(row.volunteer_id, row.name || row.volunteer_id.slice(0, 8));
  }
  for (const id of unique) if (!names.has(id)) names.set(id, id.slice(0, 8));
  return true;
}

async function receive(next) {
  offset = Date.parse(next.now) - Date.now();
  state = next;
  render();
  if (await learnNames(next)) render();
}

function openCorrection(person, opener) {
  current = { person, opener };
  const dialog = document.getElementById("correction");
  document.getElementById("correction-who").textContent = who(person.volunteer_id);
  const at = document.getElementById("correction-at");
  at.value = person.suggested_clock_out ? romeWall(Date.parse(person.suggested_clock_out)) : "";
  at.min = romeWall(Date.parse(person.clocked_in_at) + 60000);
  at.max = romeWall(serverNow());
  const by = document.getElementById("correction-by");
  by.replaceChildren(...state.coordinators.map((id) => el("option", { value: id }, who(id))));
  const error = document.getElementById("correction-error");
  at.removeAttribute("aria-invalid");
  error.hidden = !!state.coordinators.length;
  error.textContent = state.coordinators.length ? "" : t.now_no_coordinator;
  document.getElementById("correction-save").disabled = !state.coordinators.length;
  dialog.showModal();
  at.focus();
}

function closeCorrection() {
  document.getElementById("correction").close();
}

async function saveCorrection(event) {
  event.preventDefault();
  const at = document.getElementById("correction-at"), by = document.getElementById("correction-by");
  const error = document.getElementById("correction-error");
  if (!at.value) {
    error.textContent = t.now_time_required;
    error.hidden = false;
    at.setAttribute("aria-invalid", "true");
    at.focus();
    return;
  }
  at.removeAttribute("aria-invalid");
  try {
    await api("POST", `/volunteers/${current.person.volunteer_id}/clock-out-corrections`,
      { at: romeInstant(at.value), coordinator_id: by.value });
  } catch (failure) {
    error.textContent = failure instanceof ApiError ? failure.message : String(failure);
    error.hidden = false;
    return;
  }
  closeCorrection();
  flash(`${t.now_corrected} ${who(current.person.volunteer_id)}`, "ok");
  if (polling) await poll();
}

let polling = null;
async function poll() {
  try {
    await receive(await api("GET", "/console/api/board"));
  } catch (failure) {
    flash(failure.message, "error");
  }
}

function startPolling() {
  if (polling) return;
  document.getElementById("now-mode").textContent = t.now_polling;
  poll();
  polling = setInterval(poll, POLL_MS);
}

function listen() {
  if (!("EventSource" in window)) return startPolling();
  const source = new EventSource("/console/api/board/events");
  source.addEventListener("board", (event) => {
    document.getElementById("now-mode").textContent = t.now_live;
    receive(JSON.parse(event.data)).catch((failure) => flash(failure.message, "error"));
  });
  // A stream that ends by itself is reopened by the browser; one refused (signed out, no role) is closed.
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) startPolling();
  });
  addEventListener("pagehide", () => source.close());
}

// telephony console: the legs ringing and connected now (GET /telephony/live, coordinators), read every two
// seconds while calls pass through the product; the section stays hidden otherwise, or when the reader may not.
async function learnLegNames(legs) {
  const unknown = [...new Set(legs.map((leg) => leg.volunteer_id))].filter((id) => !names.has(id));
  if (!canName || !unknown.length) return;
  const query = unknown.slice(0, 100).map((id) => `volunteer_id=${encodeURIComponent(id)}`).join("&");
  for (const row of await api("GET", `/console/api/board/names?${query}`)) names.set(row.volunteer_id, row.name || row.volunteer_id.slice(0, 8));
  for (const id of unknown) if (!names.has(id)) names.set(id, id.slice(0, 8));
}

function showLegs(legs) {
  fill("phone-legs", legs.map((leg) => el("tr", { "data-volunteer": leg.volunteer_id, "data-status": leg.status },
    el("th", { scope: "row" }, who(leg.volunteer_id)), el("td", {}, t[`tc_dir_${leg.direction}`] || leg.direction),
    el("td", {}, el("span", { class: `badge leg-${leg.status}` }, t[`tc_status_${leg.status}`] || leg.status)),
    el("td", { class: "num" }, ticking(leg.since)))), "phone-legs-empty");
}

async function followPhones() {
  if (!passesThrough(await telephony())) return;
  const read = async () => {
    try {
      const legs = await api("GET", "/telephony/live");
      await learnLegNames(legs);
      document.getElementById("phones").hidden = false;
      showLegs(legs);
    } catch (failure) {
      if (failure instanceof ApiError && failure.status === 403) return;  // not this reader's to see: stays hidden
      flash(failure.message, "error");
    }
    setTimeout(read, FOLLOW_MS);
  };
  await read();
}
// (end of telephony console)

async function start() {
  const user = await me();
  if (!user) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  canName = canCorrect = user.role === "coordinator" || user.role === "administrator";
  document.getElementById("no-names").hidden = canName;
  document.getElementById("correction-form").addEventListener("submit", saveCorrection);
  document.getElementById("correction-cancel").addEventListener("click", closeCorrection);
  document.getElementById("correction").addEventListener("close", () => {
    // The row may have gone with the correction: then back to the page's start, not to nowhere.
    (current?.opener?.isConnected ? current.opener : document.getElementById("main")).focus();
  });
  setInterval(tick, 1000);
  listen();
  followPhones().catch((error) => flash(error.message, "error"));
}
start().catch((error) => flash(error.message, "error"));
