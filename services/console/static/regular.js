// Regular giving: expected against received income per month and fund (the projection), a donor's standing
// commitments with their schedule, and — for campaign managers — setting one up, pausing, resuming, changing
// the amount from a date and ending it with a reason. Auditors read.
import { live } from "./live.js";
import { api, day, el, euro, flash, guarded, lang, locale, me, t } from "./common.js";
import { Invalid, amount } from "./gifts.js";
import { today } from "./today.js";

const $ = (id) => document.getElementById(id);
const MANAGERS = ["campaign_manager", "administrator"], READERS = [...MANAGERS, "auditor"];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const monthName = new Intl.DateTimeFormat(locale, { month: "long", year: "numeric", timeZone: "UTC" });
const month = (ym) => monthName.format(new Date(Date.UTC(Number(ym.slice(0, 4)), Number(ym.slice(5, 7)) - 1, 1)));
let manager = false, funds = new Map();

const fundName = (id) => funds.get(id) || id;
const cents = (amount) => Math.round(Number(amount) * 100);

// An amount as the office types it ("10", "10,50", "1.000,00"), judged here in the page's language (a negative or
// three-decimal amount would otherwise come back in the API's English); the field takes the focus when wrong.
function typedAmount(id) {
  try {
    return amount($(id).value, id, t.gf_amount);
  } catch (error) {
    if (error instanceof Invalid) $(id).focus();
    throw error;
  }
}

async function loadFunds() {
  const listed = (await api("GET", "/transparency/funds")).funds;
  funds = new Map(listed.map((f) => [f.fund_id, f.name]));
  $("new-fund").replaceChildren(...listed.filter((f) => !f.closed).map((f) => el("option", { value: f.fund_id }, f.name)));
}

// The months asked for are read once, then followed live (live.js): a gift received appears without reloading.
let stopIncome = () => {};
async function income() {
  const from = $("income-from").value, months = $("income-months").value;
  if (!/^\d{4}-\d{2}$/.test(from)) { $("income-from").focus(); throw new Error(t.rg_from_month); }
  const path = `/commitments/expected-income?from=${from}&months=${months}`;
  showIncome(await api("GET", path));
  stopIncome();
  stopIncome = live(path, "income", showIncome, $("income-mode"));
}

function showIncome(answer) {
  const rows = answer.rows.filter((r) => cents(r.expected) || cents(r.received));
  const now = new Intl.DateTimeFormat("en-CA", { year: "numeric", month: "2-digit", timeZone: "Europe/Rome" })
    .format(new Date()).slice(0, 7);
  // A month still to come has received nothing yet: a dash, not a shortfall; a past month short of it is marked.
  const received = (r) => (r.month > now && !cents(r.received) ? "—" : euro(r.received));
  $("income").tBodies[0].replaceChildren(...rows.map((r) => el("tr", {},
    el("th", { scope: "row" }, month(r.month)), el("td", { class: "fund" }, fundName(r.fund_id)),
    el("td", { class: "num", "data-label": t.rg_expected }, euro(r.expected)),
    el("td", { class: `num${r.month < now && cents(r.received) < cents(r.expected) ? " short" : ""}`,
      "data-label": t.rg_received }, received(r)))));
  const sum = (key) => rows.reduce((total, r) => total + cents(r[key]), 0) / 100;
  $("income-expected").textContent = euro(sum("expected"));
  $("income-received").textContent = euro(sum("received"));
  $("income-empty").hidden = rows.length > 0;
  $("income").hidden = rows.length === 0;
}

const STATES = { paid: "rg_state_paid", missed: "rg_state_missed", open: "rg_state_open", upcoming: "rg_state_upcoming" };

function scheduleTable(c) {
  const caption = el("caption", { class: "sr-only" }, `${t.rg_schedule} · ${euro(c.amount)}`);
  const head = el("thead", {}, el("tr", {}, ...[t.rg_due, t.rg_amount_col, t.rg_state, t.rg_paid_on].map((h, i) =>
    el("th", { scope: "col", ...(i === 1 ? { class: "num" } : {}) }, h))));
  const body = el("tbody", {}, ...c.schedule.map((p) => el("tr", { class: p.state },
    el("th", { scope: "row" }, day(p.due_on)), el("td", { class: "num" }, euro(p.amount)),
    el("td", {}, el("span", { class: `badge ${p.state}` }, t[STATES[p.state]])),
    el("td", { "data-label": t.rg_paid_on }, p.received_on ? `${day(p.received_on)} · ${euro(p.paid)}` : ""))));
  return el("div", { class: "scroll", tabindex: "0", role: "region", "aria-label": `${t.rg_schedule}: ${fundName(c.fund_id)}` },
    el("table", { class: "schedule" }, caption, head, body));
}

function summary(c) {
  const pairs = [
    [t.rg_fund, fundName(c.fund_id)], [t.rg_amount_col, `${euro(c.amount)} · ${t[`rg_freq_${c.frequency}`]}`],
    [t.rg_day, String(c.day)], [t.rg_start, day(c.start)], [t.rg_end_col, c.end ? day(c.end) : "—"],
    [t.rg_method, t[`rg_method_${c.method}`]],
    [t.rg_mandate, c.mandate_reference ? `${c.mandate_reference}${c.mandate_signed_on ? ` (${day(c.mandate_signed_on)})` : ""}` : "—"],
  ];
  if (c.end_reason) pairs.push([t.rg_end_reason, `${day(c.ended_on)} · ${c.end_reason}`]);
  return el("dl", { class: "figures small" }, ...pairs.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))));
}

function actions(c) {
  const id = `c-${c.id}`;
  const box = el("div", { class: "actions" });
  const act = (label, path, body, done) => {
    const button = el("button", { type: "button" }, label);
    button.setAttribute("aria-label", `${label}: ${euro(c.amount)} ${fundName(c.fund_id)}`);
    button.addEventListener("click", guarded(async () => redraw(await api("POST", `/commitments/${c.id}/${path}`, body), done)));
    return button;
  };
  if (c.status === "active") box.append(act(t.rg_pause, "pause", undefined, t.rg_paused));
  if (c.status === "paused" || c.status === "lapsed") box.append(act(t.rg_resume, "resume", undefined, t.rg_resumed));
  if (c.status === "ended") return box;
  const change = el("form", { class: "row wrap filters" },
    el("div", {}, el("label", { for: `${id}-amount` }, t.rg_new_amount),
      el("input", { id: `${id}-amount`, name: "amount", inputmode: "decimal", required: "", autocomplete: "off" })),
    el("div", {}, el("label", { for: `${id}-from` }, t.rg_effective_from),
      el("input", { id: `${id}-from`, name: "from", type: "date", required: "" })),
    el("button", { type: "submit" }, t.rg_change));
  change.addEventListener("submit", guarded(async () => {
    const form = new FormData(change);
    const body = { amount: typedAmount(`${id}-amount`), from: form.get("from") };
    redraw(await api("POST", `/commitments/${c.id}/change`, body), t.rg_changed);
  }));
  const end = el("form", { class: "row wrap filters" },
    el("div", { class: "grow" }, el("label", { for: `${id}-reason` }, t.rg_end_reason),
      el("input", { id: `${id}-reason`, name: "reason", maxlength: "500", required: "", autocomplete: "off" })),
    el("button", { type: "submit", class: "danger" }, t.rg_end_it));
  end.addEventListener("submit", guarded(async () => {
    const reason = String(new FormData(end).get("reason")).trim();
    if (!reason) { $(`${id}-reason`).focus(); throw new Error(t.rg_end_reason); }
    redraw(await api("POST", `/commitments/${c.id}/end`, { reason }), t.rg_ended);
  }));
  box.append(change, end);
  return box;
}

function item(c) {
  const id = `c-${c.id}`;
  const title = el("h3", { id: `${id}-title`, tabindex: "-1" }, `${euro(c.amount)} · ${t[`rg_freq_${c.frequency}`]} · ${fundName(c.fund_id)} `,
    el("span", { class: `badge ${c.status}` }, t[`rg_status_${c.status}`]));
  const box = el("li", { class: "commitment", id }, title, summary(c), scheduleTable(c));
  if (c.extra_gifts.length) box.append(el("p", { class: "small muted" }, fill(t.rg_extras, { n: c.extra_gifts.length })));
  if (manager) box.append(actions(c));
  return box;
}

function redraw(c, message) {
  const old = $(`c-${c.id}`), fresh = item(c);
  if (old) old.replaceWith(fresh); else $("commitments").prepend(fresh);
  flash(`${message}: ${euro(c.amount)} · ${fundName(c.fund_id)}`, "ok");
  $(`c-${c.id}-title`).focus();
  income().catch(() => {});
}

async function showDonor(donorId) {
  if (!UUID.test(donorId)) { $("donor").focus(); throw new Error(t.rg_donor_id_help); }
  const list = await api("GET", `/donors/${donorId}/commitments`);
  $("commitments").replaceChildren(...list.reverse().map(item));
  $("donor-found").textContent = list.length === 1 ? t.rg_found_one
    : list.length ? fill(t.rg_found, { n: list.length }) : t.rg_none;
  history.replaceState(null, "", `?lang=${lang}&donor=${donorId}`);
}

$("income-form").addEventListener("submit", guarded(income));
$("donor-form").addEventListener("submit", guarded(() => showDonor($("donor").value.trim())));
$("new-method").addEventListener("change", () => {
  const sepa = $("new-method").value === "sepa";
  $("new-mandate").required = sepa;
  $("new-signed").required = sepa;
});
$("new-form").addEventListener("submit", guarded(async (event) => {
  const form = new FormData(event.target);
  const donor = String(form.get("donor_id")).trim(), value = (name) => String(form.get(name) || "").trim();
  if (!UUID.test(donor)) { $("new-donor").focus(); throw new Error(t.rg_donor_id_help); }
  if (!value("amount")) { $("new-amount").focus(); throw new Error(t.rg_amount_help); }
  const sum = typedAmount("new-amount");
  if (!value("start")) { $("new-start").focus(); throw new Error(t.rg_start); }
  const body = { donor_id: donor, fund_id: value("fund_id"), amount: sum,
    frequency: value("frequency"), day: Number(value("day")), start: value("start"), method: value("method") };
  if (value("end")) body.end = value("end");
  if (value("mandate_reference")) body.mandate_reference = value("mandate_reference");
  if (value("mandate_signed_on")) body.mandate_signed_on = value("mandate_signed_on");
  const created = await api("POST", "/commitments", body);
  event.target.reset();
  $("new-start").value = today();
  $("donor").value = donor;
  $("new-donor").value = donor;
  await showDonor(donor);
  flash(`${t.rg_created}: ${euro(created.amount)} · ${fundName(created.fund_id)}`, "ok");
  $(`c-${created.id}-title`).focus();
  income().catch(() => {});
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname + location.search)}`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.rg_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("regular").hidden = true;
    return;
  }
  manager = MANAGERS.includes(who.role);
  for (const section of document.querySelectorAll(".manager-only")) section.hidden = !manager;
  $("read-only").hidden = manager;
  await loadFunds();
  $("income-from").value = today().slice(0, 7);  // the product's month, not the browser's
  if (!$("new-start").value) $("new-start").value = today();
  await income();
  const donor = new URLSearchParams(location.search).get("donor");
  if (donor) {  // from a donor's page: their commitments, and the new one's donor filled in
    $("donor").value = donor;
    $("new-donor").value = donor;  // the donor page's "set up a regular gift" comes here for this donor
    await showDonor(donor);
  }
  $("regular").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
