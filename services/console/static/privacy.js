// The privacy desk: a person's status, export (downloaded as a JSON file), consents (add, withdraw) and erasure
// confirmed by their id typed again (the server checks it too); the access trail with filters, a page at a time.
// Administrators see everything; auditors the access trail alone (the API decides; the page follows the role).
import { ApiError, api, day, el, flash, guarded, lang, locale, me, number, t, ZONE } from "./common.js";
import { today } from "./today.js";

const $ = (id) => document.getElementById(id);
const PAGE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
let person = null, nextOffset = null;

const when = new Intl.DateTimeFormat(locale, { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit",
  minute: "2-digit", timeZone: ZONE });
const instant = (iso) => (iso ? when.format(new Date(iso)) : "");
const shortDay = (iso) => (iso ? day(iso) : "");
const label = (prefix, key) => t[`${prefix}${key}`] || key;

// Midnight starting `day` (yyyy-mm-dd) in Rome, as an instant with its offset: the centre's day, whatever the
// computer's zone. The offset is Rome's at 00:00 UTC of that day, which is the offset at its midnight too.
function romeMidnight(day) {
  const parts = new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, timeZoneName: "longOffset" })
    .formatToParts(new Date(`${day}T00:00:00Z`));
  const offset = parts.find((p) => p.type === "timeZoneName").value.replace("GMT", "") || "+00:00";
  return `${day}T00:00:00${offset}`;
}

function nextDay(day) {
  const next = new Date(`${day}T00:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return next.toISOString().slice(0, 10);
}


// A wrong id is said in the reader's language before any request; everything else is the server's to judge.
function checkedId(value, input) {
  const id = value.trim().toLowerCase();
  if (!UUID.test(id)) {
    input.focus();
    throw new Error(fill(t.pv_bad_id, { id: value.trim() || "—" }));
  }
  return id;
}

function consentRow(c) {
  const state = el("span", { class: `badge ${c.status}` }, label("pv_state_", c.status));
  const cells = [
    el("th", { scope: "row" }, label("pv_purpose_", c.purpose)),
    el("td", { "data-label": t.pv_channel }, label("pv_channel_", c.channel)),
    el("td", { "data-label": t.pv_text_version }, c.text_version || t.pv_not_recorded),
    el("td", { "data-label": t.pv_source }, c.source),
    el("td", { "data-label": t.pv_given }, shortDay(c.given_at)),
    // The last day it is valid: an expiry at the centre's midnight is the end of the day before.
    el("td", { "data-label": t.pv_expires }, c.expires_at ? day(new Date(Date.parse(c.expires_at) - 1)) : t.pv_until_withdrawn),
    el("td", { "data-label": t.pv_consent_state }, state,
      c.withdrawn_at ? el("span", { class: "small muted" }, ` ${shortDay(c.withdrawn_at)} · ${c.withdrawal_source}`) : ""),
  ];
  const actions = el("td", { class: "actions" });
  if (!c.withdrawn_at) actions.append(withdrawControl(c));
  return el("tr", { "data-consent": c.consent_id }, ...cells, actions);
}

// Withdraw: a button opening a small form asking how the person said so (kept with the withdrawal).
function withdrawControl(c) {
  const id = `w-${c.consent_id}`;
  const name = label("pv_purpose_", c.purpose);
  const open = el("button", { type: "button", class: "danger", "aria-expanded": "false", "aria-controls": id,
    "aria-label": `${t.pv_withdraw}: ${name}` }, t.pv_withdraw);
  const form = el("form", { id, class: "withdraw", novalidate: "" },
    el("label", { for: `${id}-source` }, t.pv_withdraw_how),
    el("input", { id: `${id}-source`, name: "source", maxlength: "200", autocomplete: "off" }),
    el("button", { type: "submit", class: "danger" }, t.pv_withdraw_confirm));
  form.hidden = true;
  open.addEventListener("click", () => {
    form.hidden = !form.hidden;
    open.setAttribute("aria-expanded", String(!form.hidden));
    if (!form.hidden) form.querySelector("input").focus();
  });
  form.addEventListener("submit", guarded(async () => {
    const source = form.querySelector("input").value.trim();
    if (source.length < 3) { form.querySelector("input").focus(); throw new Error(t.pv_withdraw_how_needed); }
    await api("POST", `/privacy/persons/${person}/consents/${c.consent_id}/withdraw`, { source });
    await show(person);
    flash(`${t.pv_withdrawn}: ${name}`, "ok");
    $("consents-title").focus();
  }));
  return el("div", {}, open, form);
}

function showPerson(p) {
  person = p.person_id;
  $("shown-id").textContent = p.person_id;
  $("confirm-id").textContent = p.person_id;
  const state = p.erased ? t.pv_erased : (p.holds_data ? t.pv_held : t.pv_not_held);
  $("state").replaceChildren(el("span", { class: `badge ${p.erased ? "erased" : "held"}` }, state));
  $("erasure-facts").hidden = !p.erased;
  if (p.erasure) {
    $("erasure-text").textContent = fill(t.pv_erasure_line,
      { at: instant(p.erasure.erased_at), by: p.erasure.erased_by, reason: p.erasure.reason });
  }
  $("consents").tBodies[0].replaceChildren(...p.consents.map(consentRow));
  $("consents").hidden = p.consents.length === 0;
  $("no-consents").hidden = p.consents.length > 0;
  $("consent-form").hidden = p.erased;  // an erased person gives no new consent
  $("erase-card").hidden = p.erased;
  $("person").hidden = false;
}

async function show(id) {
  showPerson(await api("GET", `/privacy/persons/${id}`));
}

async function open(id, focus = true) {
  $("person").hidden = true;
  person = null;
  try {
    await show(id);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) throw new Error(fill(t.pv_unknown, { id }));
    throw error;
  }
  const url = new URL(location.href);
  url.searchParams.set("person", id);
  history.replaceState(null, "", url);
  $("f-person").value = id;
  await searchTrail();
  if (focus) $("status-title").focus();
}

// The export is the API's JSON as a file the person can be given: reading it is an access, recorded in the trail.
async function download() {
  const data = await api("GET", `/privacy/persons/${person}/export`);
  const blob = new Blob([JSON.stringify(data, null, 2)], { type: "application/json" });
  const link = el("a", { href: URL.createObjectURL(blob), download: `angeli-export-${person}.json` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
  flash(t.pv_exported, "ok");
}

async function addConsent(event) {
  const form = new FormData(event.target);
  const purpose = String(form.get("purpose")).trim(), version = String(form.get("text_version")).trim();
  const source = String(form.get("source")).trim(), given = String(form.get("given_on"));
  const expires = String(form.get("expires_on"));
  if (!/^[a-z][a-z0-9_]*$/.test(purpose)) { $("c-purpose").focus(); throw new Error(t.pv_purpose_needed); }
  if (!version) { $("c-version").focus(); throw new Error(t.pv_version_needed); }
  if (!source) { $("c-source").focus(); throw new Error(t.pv_source_needed); }
  if (!given) { $("c-given").focus(); throw new Error(t.pv_given_needed); }
  const body = { purpose, channel: form.get("channel"), text_version: version, source, given_at: romeMidnight(given) };
  // The expiry day is included: the consent ends when the next day starts.
  if (expires) body.expires_at = romeMidnight(nextDay(expires));
  try {
    await api("POST", `/privacy/persons/${person}/consents`, body);
  } catch (error) {
    if (error instanceof ApiError && /^expires_at/.test(error.message)) {
      $("c-expires").focus();
      throw new Error(t.pv_expiry_past);
    }
    throw error;
  }
  event.target.reset();
  $("c-given").value = today();
  await show(person);
  flash(`${t.pv_consent_added}: ${label("pv_purpose_", purpose)}`, "ok");
  $("consents-title").focus();
}

async function erase(event) {
  const form = new FormData(event.target);
  const reason = String(form.get("reason")).trim();
  if (reason.length < 3) { $("e-reason").focus(); throw new Error(t.pv_reason_needed); }
  try {
    // The confirmation goes as typed: the server refuses an erasure whose confirmation is not the person's id.
    await api("POST", `/privacy/persons/${person}/erase`, { reason, confirmation: String(form.get("confirmation")) });
  } catch (error) {
    if (error instanceof ApiError && error.status === 422 && /^confirmation/.test(error.message)) {
      $("e-confirm").focus();
      throw new Error(t.pv_confirm_mismatch);
    }
    throw error;
  }
  event.target.reset();
  await show(person);
  flash(t.pv_erased_done, "ok");
  $("status-title").focus();
}

// A person's id in the trail, shortened to its first part: a button that filters the trail by that person.
function personFilter(id) {
  const button = el("button", { type: "button", class: "link", title: id, "aria-label": fill(t.pv_only_person, { id }) },
    el("code", {}, `${id.slice(0, 8)}…`));
  button.addEventListener("click", guarded(async () => {
    $("f-person").value = id;
    await searchTrail();
    $("trail-count").focus();
  }));
  return button;
}

// Text that may wrap after ":", "@" and "/" (an actor's label, a request path) rather than inside a word.
function breakable(text) {
  return text.split(/(?<=[:@/])/).flatMap((part, i) => (i ? [el("wbr"), part] : [part]));
}

async function searchTrail(more = false) {
  const form = new FormData($("trail-form"));
  const query = new URLSearchParams({ limit: String(PAGE), offset: String(more ? nextOffset : 0) });
  const who = String(form.get("person_id")).trim();
  if (who) query.set("person_id", checkedId(who, $("f-person")));
  for (const name of ["actor", "purpose", "from", "to"]) {
    const value = String(form.get(name)).trim();
    if (value) query.set(name, value);
  }
  if (query.get("from") && query.get("to") && query.get("from") > query.get("to")) {
    $("f-to").focus();
    throw new Error(t.pv_dates_swapped);
  }
  const page = await api("GET", `/privacy/access?${query}`);
  const rows = page.accesses.map((a) => el("tr", {},
    el("td", { "data-label": t.pv_when }, instant(a.at)),
    el("td", { "data-label": t.pv_person_id }, personFilter(a.person_id)),
    el("td", { "data-label": t.pv_actor }, ...breakable(a.actor)),
    el("td", { "data-label": t.pv_role }, t[`role_${a.role}`] || a.role),
    el("td", { "data-label": t.pv_why }, ...breakable(a.purpose)),
    el("td", { "data-label": t.pv_outcome }, el("span", { class: `badge ${a.outcome}` }, label("pv_outcome_", a.outcome))),
    el("td", { "data-label": t.pv_fields }, a.fields.join(", ") || "—")));
  if (more) $("trail").tBodies[0].append(...rows);
  else $("trail").tBodies[0].replaceChildren(...rows);
  if ($("flash").classList.contains("error")) $("flash").hidden = true;  // the filters are right now
  nextOffset = page.next_offset;
  $("trail-more").hidden = nextOffset === null;
  $("trail-count").textContent = page.total === 0 ? t.pv_trail_none
    : page.total === 1 ? t.pv_trail_one : fill(t.pv_trail_count, { n: number(page.total) });
  return page;
}

$("person-form").addEventListener("submit", guarded(() => open(checkedId($("person-id").value, $("person-id")))));
$("export").addEventListener("click", guarded(download));
$("consent-form").addEventListener("submit", guarded(addConsent));
$("erase-form").addEventListener("submit", guarded(erase));
$("trail-form").addEventListener("submit", guarded(() => searchTrail()));
$("trail-more").addEventListener("click", guarded(() => searchTrail(true)));

async function start() {
  const who = await me();
  const asked = (new URLSearchParams(location.search).get("person") || "").split("?")[0];
  if (!who) {  // back here after signing in, with the person asked for (the sign-in page adds "?lang=" to it)
    const back = asked ? `/console/privacy?person=${encodeURIComponent(asked)}` : "/console/privacy";
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(back)}`;
    return;
  }
  const admin = who.role === "administrator";
  if (!admin && who.role !== "auditor") {
    $("wrong-role-text").textContent = fill(t.pv_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("privacy").hidden = true;
    return;
  }
  for (const section of document.querySelectorAll("section.admin-only")) section.hidden = !admin;
  $("c-given").value = today();
  if (admin && asked) {
    $("person-id").value = asked;
    try {
      await open(checkedId(asked, $("person-id")), false);
    } catch (error) {
      flash(error.message, "error");
      await searchTrail();
    }
  } else {
    await searchTrail();
  }
  $("privacy").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
