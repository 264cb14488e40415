// The week: slots by week or by day, the coverage of the next 14 days; coordinators create (one slot or a
// repeating pattern), edit and cancel; volunteers sign up or withdraw themselves. Times are the centre's (Rome).
import { api, el, flash, lang, locale, me, number, t, ZONE } from "./common.js";

const state = { view: "week", day: null, role: "", who: null, myRoles: null, coordinator: false, today: null };
const ymd = new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" });
const clock = new Intl.DateTimeFormat(locale, { timeZone: ZONE, hour: "2-digit", minute: "2-digit" });
const longDay = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "long", day: "numeric", month: "long" });
const shortDay = new Intl.DateTimeFormat(locale, { timeZone: "UTC", weekday: "short", day: "numeric", month: "numeric" });
const plainDay = new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "long", year: "numeric" });
const hourOf = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", hourCycle: "h23" });

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const romeDay = (iso) => ymd.format(new Date(iso));
const utcDate = (day) => new Date(`${day}T00:00:00Z`);
const addDays = (day, n) => new Date(utcDate(day).getTime() + n * 86400000).toISOString().slice(0, 10);
const monday = (day) => addDays(day, -((utcDate(day).getUTCDay() + 6) % 7));
const roleName = (role) => t[`sh_role_${role}`] || role;

// A Rome wall-clock day and time as an instant with its offset, e.g. 2026-12-07T10:00:00+01:00.
function romeISO(day, time) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = time.split(":").map(Number);
  const wanted = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wanted;
  for (let i = 0; i < 2; i++) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" })
      .formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
    const shown = Date.UTC(+parts.year, +parts.month - 1, +parts.day, +parts.hour, +parts.minute);
    guess += wanted - shown;
  }
  const offset = Math.round((wanted - guess) / 60000);
  const sign = offset >= 0 ? "+" : "-";
  const abs = Math.abs(offset);
  return `${day}T${time.length === 5 ? `${time}:00` : time}${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// The server's reason for a refusal, in the page's language when this page knows it.
const REASONS = [
  [/overlaps the \w+ slot already scheduled/, "sh_reason_pattern_overlap"], [/overlap each other/, "sh_reason_daily_overlap"],
  [/overlaps this one/, "sh_reason_overlap"], [/is full/, "sh_reason_full"], [/lacks$/, "sh_reason_role"],
  [/already past/, "sh_reason_slot_over"], [/ended at/, "sh_reason_over"], [/has started|started at/, "sh_reason_started"], [/was cancelled/, "sh_reason_cancelled"],
  [/already signed up/, "sh_reason_already"], [/in the past/, "sh_reason_past"], [/at most 2,000/, "sh_reason_too_many"],
  [/capacity.*(greater than or equal to 1|between 1)/, "sh_reason_capacity"], [/cannot go below/, "sh_reason_below"],
];
function refused(error) {
  const found = REASONS.find(([pattern]) => pattern.test(error.message));
  const reason = found && lang !== "en" ? t[found[1]] : error.message;
  flash(fill(t.sh_refused, { reason }), "error");
}

async function allShifts(from, to) {
  const found = [];
  let offset = 0;
  for (;;) {
    const query = new URLSearchParams({ from, to, limit: "1000", offset: String(offset) });
    if (state.role) query.set("role", state.role);
    const page = await api("GET", `/shifts?${query}`);
    found.push(...page.shifts);
    if (page.next_offset === null) return found;
    offset = page.next_offset;
  }
}

function visible(slot) {
  return state.myRoles === null || state.myRoles.includes(slot.role);
}

function slotItem(slot) {
  const mine = state.who && state.who.volunteer_id && slot.volunteers.includes(state.who.volunteer_id);
  const full = slot.volunteers.length >= slot.capacity;
  const started = new Date(slot.starts_at) <= state.now;
  const label = fill(t.sh_slot_label, { role: roleName(slot.role), from: clock.format(new Date(slot.starts_at)),
    to: clock.format(new Date(slot.ends_at)) });
  const item = el("li", { id: `slot-${slot.id}`, class: `sh-slot${full ? " full" : ""}${mine ? " mine" : ""}` },
    el("span", { class: "sh-time" }, `${clock.format(new Date(slot.starts_at))}–${clock.format(new Date(slot.ends_at))}`),
    el("span", { class: "sh-role" }, roleName(slot.role)),
    el("span", { class: "sh-places" }, fill(t.sh_places, { taken: number(slot.volunteers.length), capacity: number(slot.capacity) })));
  if (full) item.append(el("span", { class: "badge" }, t.sh_full));
  if (mine) item.append(el("span", { class: "badge mine" }, t.sh_mine));
  const actions = el("span", { class: "sh-actions" });
  if (state.who && state.who.role === "volunteer" && !started) {
    if (mine) actions.append(button(t.sh_withdraw, label, () => withdraw(slot)));
    else if (!full) actions.append(button(t.sh_sign_up, label, () => signUp(slot)));
  }
  if (state.coordinator && !started) {
    actions.append(button(t.sh_edit, label, () => startEditing(slot)));
    actions.append(button(t.sh_cancel, label, () => cancel(slot), "danger"));
  }
  if (actions.childElementCount) item.append(actions);
  return item;
}

function button(text, about, action, kind = "") {
  const node = el("button", { type: "button", class: kind, "aria-label": `${text}: ${about}` }, text);
  node.addEventListener("click", action);
  return node;
}

async function act(promise, done, slotId) {
  try {
    await promise;
    flash(done, "ok");
  } catch (error) {
    refused(error);
  }
  await render();
  const again = slotId && document.querySelector(`#slot-${slotId} button`);
  if (again) again.focus();
}

const signUp = (slot) => act(api("POST", `/shifts/${slot.id}/sign-ups`, { volunteer_id: state.who.volunteer_id }),
  t.sh_signed_up, slot.id);
const withdraw = (slot) => act(api("POST", `/shifts/${slot.id}/sign-ups/${state.who.volunteer_id}/cancel`),
  t.sh_withdrawn, slot.id);
function cancel(slot) {
  if (!window.confirm(t.sh_confirm_cancel)) return;
  act(api("POST", `/shifts/${slot.id}/cancel`, { reason: "" }), t.sh_cancelled);
}

async function renderCalendar() {
  const days = state.view === "week" ? [...Array(7).keys()].map((i) => addDays(monday(state.day), i)) : [state.day];
  const first = days[0], last = days[days.length - 1];
  document.getElementById("range-title").textContent = state.view === "week"
    ? fill(t.sh_week_of, { from: plainDay.format(utcDate(first)), to: plainDay.format(utcDate(last)) })
    : longDay.format(utcDate(first));
  const slots = (await allShifts(romeISO(first, "00:00"), romeISO(addDays(last, 1), "00:00"))).filter(visible);
  const calendar = document.getElementById("calendar");
  calendar.className = `sh-calendar ${state.view}`;
  calendar.replaceChildren(...days.map((day) => {
    const mine = slots.filter((s) => romeDay(s.starts_at) === day);
    const heading = el("h3", { id: `day-${day}` }, state.view === "week" ? shortDay.format(utcDate(day)) : longDay.format(utcDate(day)));
    if (day === state.today) heading.classList.add("today");
    if (state.view === "day") heading.classList.add("sr-only"); // the page's heading names the day already
    return el("section", { class: "sh-day", "aria-labelledby": `day-${day}` }, heading,
      mine.length ? el("ul", { class: "plain" }, ...mine.map(slotItem)) : el("p", { class: "muted small" }, t.sh_no_slots));
  }));
}

async function renderCoverage() {
  const query = new URLSearchParams({ days: "14" });
  if (state.role) query.set("role", state.role);
  const coverage = await api("GET", `/shifts/coverage?${query}`);
  const start = romeDay(coverage.starts_at);
  // The window runs from now for 14 x 24 hours: from a time after midnight it reaches into a 15th day, whose
  // hours up to the window's end are judged too (and counted in the gaps above), so that day gets its row.
  const end = new Date(new Date(coverage.starts_at).getTime() + coverage.days * 86400000 - 1);
  const lastHour = `${romeDay(end.toISOString())} ${hourOf.format(end)}`;
  const days = [start];
  while (days[days.length - 1] < romeDay(end.toISOString())) days.push(addDays(days[days.length - 1], 1));
  document.getElementById("range-title").textContent =
    `${t.sh_coverage}: ${plainDay.format(utcDate(days[0]))} – ${plainDay.format(utcDate(days[days.length - 1]))}`;
  document.getElementById("gaps-count").textContent = coverage.gaps.length
    ? fill(t.sh_gaps_count, { n: number(new Set(coverage.gaps.map((g) => g.starts_at)).size) }) : t.sh_no_gaps;
  const missing = new Map();
  for (const gap of coverage.gaps) {
    const key = `${romeDay(gap.starts_at)} ${hourOf.format(new Date(gap.starts_at))}`;
    missing.set(key, (missing.get(key) || 0) + gap.missing);
  }
  const hours = [...Array(24).keys()].map((h) => String(h).padStart(2, "0"));
  const firstHour = `${start} ${hourOf.format(new Date(coverage.starts_at))}`;
  const grid = document.getElementById("coverage-grid");
  grid.tHead.replaceChildren(el("tr", {}, el("th", { scope: "col" }, t.sh_date),
    ...hours.map((h) => el("th", { scope: "col", class: "num" }, h))));
  grid.tBodies[0].replaceChildren(...days.map((day) => el("tr", {}, el("th", { scope: "row" }, shortDay.format(utcDate(day))),
    ...hours.map((h) => {
      const n = missing.get(`${day} ${h}`);
      if (`${day} ${h}` < firstHour || `${day} ${h}` > lastHour) return el("td", { class: "num past" }, "");  // outside the window: not judged
      return n ? el("td", { class: "num gap", title: `${t.sh_missing}: ${n}` }, `−${number(n)}`)
        : el("td", { class: "num ok" }, el("span", { class: "sr-only" }, "ok"));
    }))));
  document.querySelector("#gaps tbody").replaceChildren(...coverage.gaps.map((g) => el("tr", { class: "gap" },
    el("td", {}, shortDay.format(utcDate(romeDay(g.starts_at)))),
    el("td", {}, `${clock.format(new Date(g.starts_at))}–${clock.format(new Date(g.ends_at))}`),
    el("td", {}, roleName(g.role)), el("td", { class: "num" }, number(g.needed)),
    el("td", { class: "num" }, number(g.signed_up)), el("td", { class: "num" }, number(g.missing)))));
}

async function render() {
  const coverage = state.view === "coverage";
  document.getElementById("calendar").hidden = coverage;
  document.getElementById("coverage").hidden = !coverage;
  document.getElementById("nav").hidden = coverage;
  for (const node of document.querySelectorAll("[data-view]")) node.setAttribute("aria-pressed", String(node.dataset.view === state.view));
  for (const id of ["prev", "next"]) {
    const node = document.getElementById(id);
    node.setAttribute("aria-label", state.view === "day" ? node.dataset.day : node.dataset.week);
  }
  state.now = new Date();
  if (state.offset !== undefined) state.now = new Date(Date.now() + state.offset);
  if (coverage) await renderCoverage();
  else await renderCalendar();
}

function startEditing(slot) {
  const form = document.getElementById("slot-form");
  form.elements.shift_id.value = slot.id;
  form.elements.date.value = romeDay(slot.starts_at);
  form.elements.start.value = hhmm(slot.starts_at);
  form.elements.end.value = hhmm(slot.ends_at);
  form.elements.role.value = slot.role;
  form.elements.role.disabled = true;
  form.elements.capacity.value = slot.capacity;
  document.getElementById("slot-title").textContent = t.sh_edit_slot;
  document.getElementById("slot-submit").textContent = t.sh_save;
  document.getElementById("stop-editing").hidden = false;
  form.elements.date.focus();
}

function stopEditing() {
  const form = document.getElementById("slot-form");
  form.elements.shift_id.value = "";
  form.elements.role.disabled = false;
  document.getElementById("slot-title").textContent = t.sh_new_slot;
  document.getElementById("slot-submit").textContent = t.sh_create;
  document.getElementById("stop-editing").hidden = true;
}

const hhmm = (iso) => new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", minute: "2-digit", hourCycle: "h23" })
  .format(new Date(iso));

function slotTimes(form) {
  const day = form.elements.date.value, start = form.elements.start.value, end = form.elements.end.value;
  return { starts_at: romeISO(day, start), ends_at: romeISO(end <= start ? addDays(day, 1) : day, end) };
}

async function submitSlot(event) {
  event.preventDefault();
  const form = event.target;
  const id = form.elements.shift_id.value;
  const body = { ...slotTimes(form), capacity: Number(form.elements.capacity.value) };
  try {
    if (id) {
      await api("POST", `/shifts/${id}/edit`, body);
      flash(t.sh_saved, "ok");
      stopEditing();
    } else {
      await api("POST", "/shifts", { ...body, role: form.elements.role.value });
      flash(t.sh_slot_made, "ok");
    }
    state.day = form.elements.date.value;
    await render();
  } catch (error) {
    refused(error);
  }
}

async function submitPattern(event) {
  event.preventDefault();
  const form = event.target;
  const weekdays = [...form.querySelectorAll("input[name=weekday]:checked")].map((box) => Number(box.value));
  const body = { starts_on: form.elements.starts_on.value, weeks: Number(form.elements.weeks.value), weekdays,
    role: form.elements.role.value, capacity: Number(form.elements.capacity.value) };
  if (form.elements.every_hours.value) {
    body.every_hours = Number(form.elements.every_hours.value);
  } else {
    const slots = form.elements.slots.value.split(",").map((s) => s.trim()).filter(Boolean).map((s) => s.split(/\s*[-–]\s*/));
    if (!slots.length || slots.some((s) => s.length !== 2 || !s.every((x) => /^\d{1,2}:\d{2}$/.test(x)))) {
      flash(t.sh_bad_slots, "error");
      form.elements.slots.focus();
      return;
    }
    body.slots = slots.map(([start, end]) => ({ start: start.padStart(5, "0"), end: end.padStart(5, "0") }));
  }
  try {
    const made = await api("POST", "/shifts/patterns", body);
    flash(fill(t.sh_pattern_made, { n: number(made.scheduled) }), "ok");
    state.day = romeDay(made.first_starts_at);
    await render();
  } catch (error) {
    refused(error);
  }
}

function weekdayBoxes() {
  const box = document.getElementById("p-weekdays");
  const name = new Intl.DateTimeFormat(locale, { weekday: "short", timeZone: "UTC" });
  box.replaceChildren(...[1, 2, 3, 4, 5, 6, 7].map((d) => el("label", { class: "inline" },
    Object.assign(el("input", { type: "checkbox", name: "weekday", value: String(d), id: `p-day-${d}` }), { checked: d < 7 }),
    ` ${name.format(new Date(Date.UTC(2024, 0, d)))}`)));
}

async function start() {
  state.who = await me();
  if (!state.who) {
    document.getElementById("range-title").textContent = t.sh_sign_in;
    return;
  }
  // The server's clock decides what "today" is (a training installation may run on another day than the wall).
  const now = await api("GET", "/shifts/coverage?days=1");
  state.offset = new Date(now.starts_at).getTime() - Date.now();
  state.today = romeDay(now.starts_at);
  state.day = state.today;
  state.coordinator = ["coordinator", "administrator"].includes(state.who.role);
  if (state.who.role === "volunteer" && state.who.volunteer_id) {
    state.myRoles = (await api("GET", `/volunteers/${state.who.volunteer_id}`)).roles;
  }
  if (state.coordinator) {
    document.getElementById("coordinator").hidden = false;
    weekdayBoxes();
    document.getElementById("s-date").value = addDays(state.today, 1);
    document.getElementById("p-from").value = addDays(state.today, 1);
    document.getElementById("slot-form").addEventListener("submit", submitSlot);
    document.getElementById("pattern-form").addEventListener("submit", submitPattern);
    document.getElementById("stop-editing").addEventListener("click", stopEditing);
  }
  for (const node of document.querySelectorAll("[data-view]")) {
    node.addEventListener("click", () => { state.view = node.dataset.view; render().catch(shown); });
  }
  const step = (n) => { state.day = addDays(state.day, state.view === "week" ? 7 * n : n); render().catch(shown); };
  document.getElementById("prev").addEventListener("click", () => step(-1));
  document.getElementById("next").addEventListener("click", () => step(1));
  document.getElementById("today").addEventListener("click", () => { state.day = state.today; render().catch(shown); });
  document.getElementById("role-filter").addEventListener("change", (event) => { state.role = event.target.value; render().catch(shown); });
  const asked = new URLSearchParams(location.search);
  if (["week", "day", "coverage"].includes(asked.get("view"))) state.view = asked.get("view");
  if (/^\d{4}-\d{2}-\d{2}$/.test(asked.get("day") || "")) state.day = asked.get("day");
  await render();
}

const shown = (error) => flash(error.message, "error");
start().catch(shown);
