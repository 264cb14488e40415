// The volunteer's helpline screen: clock in, answer a call, find the caller's municipality, follow the protocol
// step by step, redirect with the directory's numbers, take notes, end with an outcome; an open call resumes.
import { api, el, flash, guarded, lang, locale, me, t, ZONE } from "./common.js";
import { followOpenCall, passesThrough, phoneText, talkOf, telephony, timeOfDay } from "./telephony.js";

const $ = (id) => document.getElementById(id);
let volunteerId = null, call = null, protocol = null, place = null;
const time = (iso) => new Date(iso).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
const category = (name) => t[`cat_${name.replace(/ /g, "_")}`] || name;  // the directory's own words otherwise
// A service typed in the page's language ("sanità") is searched as the directory's category ("health").
const SERVICES = new Map(Object.entries(t).filter(([key]) => key.startsWith("cat_"))
  .map(([key, label]) => [label.toLowerCase(), key.slice(4).replace(/_/g, " ")]));
// Telephony: a call the network routed here and the volunteer answered opens by itself; `line` is the open call as
// last read (its hang-up comes from the network while the volunteer writes the outcome).
let phones = { mode: "off" }, line = null, opening = false;
const placeKey = (id) => `helpline-place-${id}`;  // the caller's municipality survives a reload of this tab

function showPresence(presence) {
  const on = presence.clocked_in;
  $("presence").textContent = on ? `${t.clocked_in} ${time(presence.clocked_in_at)}` : t.clocked_out;
  $("clock-in").hidden = on;
  $("clock-out").hidden = !on;
  $("start").disabled = !on || !!call || !$("protocol").value;
}

async function loadProtocols() {
  const list = await api("GET", "/protocols");
  $("protocol").replaceChildren(...list.map((p) => el("option", { value: p.id }, `${p.name} (v${p.latest_version})`)));
  if (!list.length) $("protocol").replaceChildren(el("option", { value: "" }, t.hl_no_protocol));
}

// Copy and call buttons for one number: tel: hands it to the phone or softphone.
function numberActions(number) {
  const copy = el("button", { type: "button", class: "copy" }, t.hl_copy);
  copy.setAttribute("aria-label", `${t.hl_copy} ${number}`);
  copy.addEventListener("click", guarded(async () => {
    await navigator.clipboard.writeText(number);
    flash(`${t.hl_copied}: ${number}`, "ok");
  }));
  return [el("a", { href: `tel:${number}`, class: "button tel" }, `${t.hl_call} ${number}`), copy];
}

function numbersList(numbers) {
  return el("ul", { class: "plain numbers" }, ...numbers.map((n) =>
    el("li", { class: "row wrap" }, el("span", { class: "grow" }, el("strong", {}, category(n.category)), ` ${n.number}`),
      ...numberActions(n.number))));
}

function showPlace() {
  const from = place && place.from_number ? ` — ${t.hl_from_number}` : "";
  $("place-chosen").textContent = place ? `${t.hl_chosen}: ${place.name} (${place.istat_code})${from}` : t.hl_no_place;
}

// directory: an Italian landline's prefix names a place; the directory's municipality of that name (case and
// accents aside) is proposed, marked "from the number", for the volunteer to keep or correct.
const nameKey = (name) => name.normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase().split(/\s+/).filter(Boolean).join(" ");
async function placeFromNumber() {
  if (!call.caller_area) return;
  const found = await api("GET", `/directory?municipality=${encodeURIComponent(call.caller_area)}`);
  const same = found.find((m) => nameKey(m.name) === nameKey(call.caller_area));
  if (!same) {
    $("place-chosen").textContent = t.hl_area_not_listed.replace("{area}", call.caller_area);
    return;
  }
  place = { istat_code: same.istat_code, name: same.name, from_number: true };
  sessionStorage.setItem(placeKey(call.id), JSON.stringify(place));
  $("place").value = same.name;
  showPlace();
}

async function choosePlace(found) {
  place = { istat_code: found.istat_code, name: found.name };  // chosen by the volunteer
  sessionStorage.setItem(placeKey(call.id), JSON.stringify(place));
  $("place-results").replaceChildren();
  $("place").value = found.name;
  showPlace();
  await redirectWhereDue();
  $("place").focus();
}

function stepIndex() {
  return protocol.steps.findIndex((s) => !(s.key in call.answers));
}

function dueRedirects() {
  return protocol.steps.filter((s) => s.redirect_to && call.answers[s.key] === s.redirect_when);
}

async function redirectWhereDue() {
  for (const step of dueRedirects()) {
    if (place && !call.redirects.some((r) => r.step === step.key)) {
      try {
        call = await api("POST", `/calls/${call.id}/redirect`, { step: step.key, istat_code: place.istat_code });
      } catch (error) {
        if (error.status !== 404) throw error;
        flash(error.message, "error");  // no number of that kind for the municipality: search the directory below
      }
    }
  }
  await showRedirects();
}

async function showRedirects() {
  const boxes = [];
  for (const step of dueRedirects()) {
    const done = call.redirects.find((r) => r.step === step.key);
    const kind = done ? done.category : step.redirect_to;
    const box = el("div", { class: "redirect", role: "group", "aria-label": `${t.hl_redirect_to} ${category(kind)}` },
      el("h3", {}, `${t.hl_redirect_to}: ${category(kind)}`));
    if (!place && !done) {
      box.append(el("p", {}, t.hl_redirect_needs_place));
    } else {
      const istat = done ? done.istat_code : place.istat_code;
      const listed = await api("GET", `/directory/municipalities/${istat}`);
      const numbers = listed.numbers.filter((n) => n.category === kind);
      box.append(el("p", {}, `${listed.name} (${istat})`),
        numbers.length ? numbersList(numbers) : el("p", {}, t.hl_no_number));
    }
    boxes.push(box);
  }
  $("redirects").replaceChildren(...boxes);
}

function showSteps() {
  $("protocol-title").textContent = `${protocol.name} · ${t.hl_version} ${protocol.version}`;
  $("answered").replaceChildren(...protocol.steps.filter((s) => s.key in call.answers).map((s) =>
    el("li", {}, el("span", { class: "muted" }, s.question), " — ", el("strong", {}, call.answers[s.key]))));
  const index = stepIndex();
  $("step").hidden = index < 0;
  $("protocol-done").hidden = index >= 0;
  if (index < 0) return;
  const step = protocol.steps[index];
  $("step-question").textContent = `${index + 1}/${protocol.steps.length} · ${step.question}`;
  $("step-choices").replaceChildren(...step.choices.map((choice) => {
    const button = el("button", { type: "button" }, choice);
    button.addEventListener("click", guarded(() => answer(step, choice)));
    return button;
  }));
  $("step-choices").hidden = !step.choices.length;
  $("step-text").hidden = !!step.choices.length;
  $("step-answer").value = "";
}

async function answer(step, value) {
  call = await api("POST", `/calls/${call.id}/answers`,
    { protocol_id: protocol.id, version: protocol.version, answers: { [step.key]: value } });
  showSteps();
  await redirectWhereDue();
  const next = $("step-choices").querySelector("button");
  if (!$("step").hidden) (next && !$("step-choices").hidden ? next : $("step-answer")).focus();
  else $("notes").focus();
}

async function showCall(opened) {
  call = opened;
  protocol = call.protocol_id
    ? await api("GET", `/protocols/${call.protocol_id}?version=${call.protocol_version}`)
    : await api("GET", `/protocols/${$("protocol").value}`);
  const kept = sessionStorage.getItem(placeKey(call.id));
  place = kept ? JSON.parse(kept) : null;
  if (!place && call.redirects.length) {  // another tab or device: the redirect names the municipality
    const listed = await api("GET", `/directory/municipalities/${call.redirects[0].istat_code}`);
    place = { istat_code: listed.istat_code, name: listed.name };
  }
  $("place").value = place ? place.name : "";
  $("call-title").textContent = `${t.hl_call_since} ${time(call.started_at)}`;
  line = call;
  showTiming();
  $("call").hidden = false;
  $("start").disabled = true;
  $("protocol").disabled = true;
  $("caller-number").disabled = true;
  showPlace();
  if (!place) await placeFromNumber();
  showSteps();
  await showRedirects();
}

// Network-timed or self-reported, the caller's number, and (network) the talk time so far or in all.
function showTiming() {
  const network = line && line.timing === "network";
  $("call-timing-badge").textContent = network ? t.tc_network : t.tc_self_reported;
  $("call-timing").dataset.timing = network ? "network" : "self_reported";
  $("call-caller").textContent = call && call.caller_number ? `· ${t.tc_caller}: ${phoneText(call.caller_number)}`
    : network ? `· ${t.tc_caller}: ${t.tc_withheld}` : "";
  const talk = network ? talkOf(line) : null;
  const text = talk === null ? "" : line.hung_up_at
    ? `· ${t.tc_line_closed.replace("{time}", timeOfDay(line.hung_up_at)).replace("{talk}", talk)}`
    : `· ${t.tc_line_open.replace("{talk}", talk)}`;
  if ($("call-line").textContent !== text) $("call-line").textContent = text;
  // Said once when the line closes, not every second of the running talk time.
  const said = network && line.hung_up_at ? text.replace(/^· /, "") : "";
  if ($("call-line-said").textContent !== said) $("call-line-said").textContent = said;
}
setInterval(() => { if (call) showTiming(); }, 1000);

// The open inbound call as the network left it: a new one (answered on the volunteer's phone) opens the form with
// the caller's municipality proposed from the number; the one shown gets its hang-up.
async function receiveLine(open) {
  if (!open || open.timing !== "network" || opening) return;
  if (call && call.id === open.id) {
    line = open;
    showTiming();
    return;
  }
  if (call || !$("protocol").value) return;  // a call is already shown: the volunteer finishes it first
  opening = true;
  try {
    await showCall(open);
    flash(t.tc_routed_answered, "info");
    $("call-title").focus();
  } finally {
    opening = false;
  }
}

$("clock-in").addEventListener("click", guarded(async () => {
  showPresence(await api("POST", `/volunteers/${volunteerId}/clock-in`));
  $("start").focus();
}));
$("clock-out").addEventListener("click", guarded(async () => {
  showPresence(await api("POST", `/volunteers/${volunteerId}/clock-out`));
}));
$("start").addEventListener("click", guarded(async () => {
  const number = $("caller-number").value.trim();
  const started = await api("POST", "/calls",
    { volunteer_id: volunteerId, direction: "inbound", ...(number ? { caller_number: number } : {}) });
  await showCall(await api("POST", `/calls/${started.id}/connect`));
  $("place").focus();
}));
$("place-form").addEventListener("submit", guarded(async () => {
  const name = $("place").value.trim();
  if (name.length < 2) {
    flash(t.hl_type_two, "error");
    return;
  }
  const found = await api("GET", `/directory?municipality=${encodeURIComponent(name)}`);
  $("place-results").replaceChildren(...found.map((m) => {
    const button = el("button", { type: "button" }, `${m.name} (${m.istat_code})`);
    button.addEventListener("click", guarded(() => choosePlace(m)));
    return el("li", {}, button);
  }));
  if (!found.length) $("place-chosen").textContent = t.hl_nothing_found;
  else $("place-results").querySelector("button").focus();
}));
$("step-text").addEventListener("submit", guarded(async () => {
  const index = stepIndex();
  await answer(protocol.steps[index], $("step-answer").value.trim());
}));
$("end-form").addEventListener("submit", guarded(async (event) => {
  const form = new FormData(event.target);
  const notes = String(form.get("notes") || "").trim();
  await api("POST", `/calls/${call.id}/end`, { disposition: form.get("disposition"), notes: notes || null });
  sessionStorage.removeItem(placeKey(call.id));
  flash(`${t.done}: ${t.hl_call_ended} — ${t[form.get("disposition")]}`, "ok");
  call = protocol = place = line = null;
  event.target.reset();
  $("call").hidden = true;
  $("protocol").disabled = false;
  $("caller-number").disabled = false;
  $("caller-number").value = "";
  $("place-results").replaceChildren();
  $("redirects").replaceChildren();
  showPresence(await api("GET", `/volunteers/${volunteerId}/presence`));
  $("start").focus();
}));
$("directory-form").addEventListener("submit", guarded(async (event) => {
  const form = new FormData(event.target);
  const query = new URLSearchParams({ municipality: String(form.get("municipality")).trim() });
  const service = String(form.get("category") || "").trim().toLowerCase();
  if (service) query.set("category", SERVICES.get(service) || service);
  const found = await api("GET", `/directory?${query}`);
  $("directory-results").replaceChildren(...(found.length ? found.map((m) => el("div", { class: "listed" },
    el("h3", {}, `${m.name} (${m.istat_code})`),
    m.numbers.length ? numbersList(m.numbers) : el("p", { class: "muted" }, t.hl_no_number))) : [el("p", {}, t.hl_nothing_found)]));
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/helpline`;
    return;
  }
  volunteerId = who.volunteer_id;
  if (!volunteerId) {  // an administrator, coordinator… without a volunteer record does not take calls
    $("wrong-role-text").textContent = t.hl_not_a_volunteer.replace("{role}", who.role);
    $("wrong-role").hidden = false;
    $("helpline").hidden = true;
    return;
  }
  if (!(await api("GET", `/volunteers/${volunteerId}`)).roles.includes("helpline")) {  // the server would refuse
    $("wrong-role-text").textContent = t.hl_no_helpline_role;
    $("wrong-role").querySelector("a").hidden = true;  // signed in as themselves: another account is not the fix
    $("wrong-role").hidden = false;
    $("helpline").hidden = true;
    return;
  }
  await loadProtocols();
  const open = await api("GET", `/volunteers/${volunteerId}/open-call?kind=inbound`);
  if (open) await showCall(open);
  showPresence(await api("GET", `/volunteers/${volunteerId}/presence`));
  if (open) flash(t.hl_resumed, "info");
  phones = await telephony();
  if (passesThrough(phones)) {
    followOpenCall(volunteerId, "inbound", (open) => { receiveLine(open).catch((error) => flash(error.message, "error")); },
      (error) => flash(error.message, "error"));
  }
  $("helpline").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
