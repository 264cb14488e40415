// One fund, following the ledger live: its totals, its disbursements with their documents, month by month as on
// the public page; campaign managers record a disbursement here (never beyond the balance: the server says why).
import { ApiError, api, el, euro, flash, lang, me, number, t } from "./common.js";
import { today as productDay } from "./today.js";
import { amountOf, dayOf, fill, fillTable, follow, MANAGERS, READERS, refusal, romeNoon } from "./funds_live.js";

const fundId = document.getElementById("fund").dataset.fund;
const path = `/console/api/funds/${fundId}`;
const month = new Intl.DateTimeFormat(document.body.dataset.locale || lang, { year: "numeric", month: "long", timeZone: "UTC" });
let today = null;
let live = null;

function render(fund) {
  document.querySelector("h1").textContent = `${t.fu_fund_title}: ${fund.name}`;
  document.title = `${fund.name} · Angeli`;
  for (const key of ["raised", "reversed", "disbursed", "balance"]) document.getElementById(key).textContent = euro(fund[key]);
  document.getElementById("closed-note").hidden = !fund.closed;
  if (today !== productDay()) {  // the product's day (as fund.today says too), moving on past midnight
    today = productDay();
    const input = document.getElementById("day");
    input.max = today;
    if (!input.value) input.value = today;
  }
  fillTable("spent", fund.disbursements.slice().reverse().map((d) => el("tr", { "data-disbursement": d.disbursement_id },
    el("td", {}, dayOf(d.date)), el("td", { class: "purpose" }, d.purpose), el("td", { class: "document" }, d.document),
    el("td", { class: "num" }, euro(d.amount)), el("td", { class: "num" }, number(d.sequence)))), "spent-empty");
  fillTable("months", fund.months.map((m) => el("tr", {},
    el("th", { scope: "row" }, month.format(new Date(`${m.month}-01T00:00:00Z`))), el("td", { class: "num" }, euro(m.raised)),
    el("td", { class: "num" }, euro(m.reversed)), el("td", { class: "num" }, euro(m.disbursed)),
    el("td", { class: "num" }, euro(m.in_kind)), el("td", { class: "num" }, euro(m.balance)),
    el("td", { class: "num" }, number(m.donors)))), "months-empty");
}

const FIELDS = { amount: "amount", decimal: "amount", euro: "amount", future: "day", purpose: "purpose", document: "document" };
function fieldOf(message) {
  for (const [word, id] of Object.entries(FIELDS)) if (message.toLowerCase().includes(word)) return id;
  return "amount";
}

async function disburse(event) {
  event.preventDefault();
  const form = event.target, error = document.getElementById("disburse-error");
  form.querySelectorAll("[aria-invalid]").forEach((input) => input.removeAttribute("aria-invalid"));
  const day = document.getElementById("day").value;
  const body = { amount: amountOf(document.getElementById("amount").value), purpose: document.getElementById("purpose").value,
    document: document.getElementById("document").value };
  if (day && day !== today) body.disbursed_at = romeNoon(day);
  try {
    await api("POST", `/funds/${fundId}/disbursements`, body);
  } catch (failure) {
    error.textContent = refusal(failure);
    error.hidden = false;
    const field = document.getElementById(failure instanceof ApiError && failure.status === 409 ? "amount" : fieldOf(failure.message));
    field.setAttribute("aria-invalid", "true");
    field.focus();
    return;
  }
  error.hidden = true;
  flash(fill(t.fu_disbursed_done, { amount: euro(body.amount), purpose: body.purpose.trim() }), "ok");
  for (const id of ["amount", "purpose", "document"]) document.getElementById(id).value = "";
  document.getElementById("amount").focus();
  await live.refresh();
}

async function start() {
  const user = await me();
  if (!user) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (!READERS.includes(user.role)) {
    document.getElementById("wrong-role-text").textContent = t.fu_wrong_role;
    document.getElementById("wrong-role").hidden = false;
    document.getElementById("fund").hidden = true;
    return;
  }
  const manager = MANAGERS.includes(user.role);
  document.querySelectorAll("section.manager-only").forEach((section) => { section.hidden = !manager; });
  document.getElementById("disburse-form").addEventListener("submit", disburse);
  try {
    render(await api("GET", path));
  } catch (failure) {
    document.getElementById("wrong-role-text").textContent = failure.status === 404 ? t.fu_not_found : failure.message;
    document.getElementById("wrong-role").hidden = false;
    document.getElementById("fund").hidden = true;
    return;
  }
  live = follow(path, "fund", render);
}
start().catch((error) => flash(error.message, "error"));
