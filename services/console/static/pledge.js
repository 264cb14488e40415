// A pledge: what was promised, its derived status, instalments, payments, reversals and goods received; the
// donations office records a payment (a duplicate reference records nothing), reverses one, records goods or
// cancels the pledge. Auditors and coordinators read it.
import { ApiError, api, day, el, euro, flash, guarded, lang, me, number, t } from "./common.js";
import { ACTORS, Invalid, READERS, amount, cents, fill, instant, reason, text, today } from "./gifts.js";

const $ = (id) => document.getElementById(id);
const ID = $("pledge").dataset.id;
let pledge = null, actor = false, who = null;

const method = (m) => t[`gf_method_${m}`] || m;
const status = (s) => t[`gf_status_${s}`] || s;

function term(label, value, wide = false) {
  return [el("dt", wide ? { class: "wide" } : {}, label), el("dd", wide ? { class: "wide" } : {}, value)];
}

async function fundName(id) {
  try { return (await api("GET", `/funds/${id}`)).name; } catch { return id; }
}

async function donorCell(id) {
  const link = el("a", { href: `/console/donors/${id}?lang=${lang}` }, t.gf_donor_page);
  if (!["campaign_manager", "coordinator", "administrator"].includes(who.role)) return link;
  try {
    const donor = await api("GET", `/donors/${id}`);
    return el("span", {}, donor.erased ? t.gf_erased : donor.name, " · ", link);
  } catch { return link; }
}

async function summary(p) {
  const kind = p.kind === "goods" ? t.gf_kind_goods : p.instalments.length ? t.gf_kind_instalments : t.gf_kind_once;
  const items = [
    ...term(t.gf_kind, kind),
    ...term(p.kind === "goods" ? t.gf_declared_value : t.gf_amount, euro(p.amount)),
  ];
  if (p.kind === "money") items.push(...term(t.gf_paid, euro(p.paid)), ...term(t.gf_outstanding, euro(p.outstanding)));
  else {
    items.push(...term(t.gf_quantity_received, `${number(p.received_quantity)} / ${number(p.quantity)}`),
      ...term(t.gf_value_received, euro(p.received_value ?? 0)));
  }
  items.push(...term(t.gf_made_on, p.made_at ? day(p.made_at) : ""), ...term(t.gf_fund, await fundName(p.fund_id)));
  if (p.description) items.push(...term(t.gf_description, p.description, true));
  items.push(...term(t.gf_donor, await donorCell(p.donor_id), true));
  $("summary").replaceChildren(...items);
  $("status").textContent = status(p.status);
  $("status").className = `badge ${p.status}`;
  $("cancelled-note").hidden = !p.cancelled_at;
  if (p.cancelled_at) $("cancelled-note").textContent = fill(t.gf_cancelled_on, { day: day(p.cancelled_at), reason: p.cancel_reason });
}

function instalments(p) {
  $("instalments-card").hidden = !p.instalments.length;
  $("instalments").tBodies[0].replaceChildren(...p.instalments.map((i, n) => {
    const state = i.overdue ? fill(t.gf_overdue_days, { n: i.days_late }) : cents(i.paid) >= cents(i.amount) ? t.gf_inst_paid
      : cents(i.paid) > 0 ? t.gf_inst_part : t.gf_inst_due;
    return el("tr", {}, el("th", { scope: "row", class: "num" }, n + 1),
      el("td", { "data-label": t.gf_due_on }, day(i.due_on)), el("td", { class: "num", "data-label": t.gf_amount }, euro(i.amount)),
      el("td", { class: "num", "data-label": t.gf_paid }, euro(i.paid)),
      el("td", {}, el("span", { class: `badge ${i.overdue ? "overdue" : cents(i.paid) >= cents(i.amount) ? "fulfilled" : "pledged"}` }, state)));
  }));
}

function payments(p) {
  const money = p.kind === "money";
  $("payments-card").hidden = !money;
  $("goods-card").hidden = money;
  const byId = new Map(p.payments.map((x) => [x.payment_id, x]));
  $("no-payments").hidden = p.payments.length > 0;
  $("payments").hidden = !p.payments.length;
  $("payments").tBodies[0].replaceChildren(...p.payments.map((x) => {
    const left = cents(x.amount) - cents(x.reversed);
    const cell = el("td", {});
    if (actor && left > 0) {
      const button = el("button", { type: "button", class: "danger" }, t.gf_reverse);
      button.setAttribute("aria-label", `${t.gf_reverse}: ${x.reference} (${euro(x.amount)})`);
      button.addEventListener("click", () => {
        $("rev-payment").value = x.payment_id;
        $("rev-amount").value = (left / 100).toFixed(2);
        $("reverse-title").focus();
      });
      cell.append(button);
    }
    return el("tr", {}, el("td", { "data-label": t.gf_date }, x.received_at ? day(x.received_at) : ""),
      el("td", { "data-label": t.gf_method }, method(x.method)), el("td", { "data-label": t.gf_reference }, x.reference),
      el("td", { class: "num", "data-label": t.gf_amount }, euro(x.amount)),
      el("td", { class: "num", "data-label": t.gf_reversed }, euro(x.reversed)), cell);
  }));
  $("no-reversals").hidden = p.reversals.length > 0;
  $("reversals").hidden = !p.reversals.length;
  $("reversals").tBodies[0].replaceChildren(...p.reversals.map((r) => el("tr", {},
    el("td", { "data-label": t.gf_date }, day(r.reversed_at)),
    el("td", { "data-label": t.gf_reference }, byId.get(r.payment_id)?.reference ?? r.payment_id),
    el("td", { class: "num", "data-label": t.gf_amount }, euro(r.amount)), el("td", { "data-label": t.gf_reason }, r.reason))));
  $("no-goods").hidden = p.goods.length > 0;
  $("goods").hidden = !p.goods.length;
  $("goods").tBodies[0].replaceChildren(...p.goods.map((g) => el("tr", {},
    el("td", { "data-label": t.gf_date }, day(g.received_at)), el("td", { class: "num", "data-label": t.gf_quantity }, number(g.quantity)),
    el("td", { class: "num", "data-label": t.gf_value }, euro(g.value)))));
  const open = p.payments.filter((x) => cents(x.amount) > cents(x.reversed));
  $("rev-payment").replaceChildren(...open.map((x) => el("option", { value: x.payment_id },
    `${x.received_at ? day(x.received_at) : ""} · ${method(x.method)} · ${x.reference} · ${euro((cents(x.amount) - cents(x.reversed)) / 100)}`)));
}

function forms(p) {
  if (!actor) return;
  const open = p.status !== "cancelled";
  $("pay-card").hidden = !(p.kind === "money" && open && p.status !== "fulfilled");
  $("reverse-card").hidden = !(p.kind === "money" && p.payments.some((x) => cents(x.amount) > cents(x.reversed)));
  $("receive-card").hidden = !(p.kind === "goods" && open && p.status !== "fulfilled");
  $("cancel-card").hidden = !(open && p.status !== "fulfilled");
  document.querySelector(".actor-only").hidden = [...document.querySelectorAll(".actor-only > section")].every((s) => s.hidden);
}

async function load() {
  pledge = await api("GET", `/pledges/${ID}`);
  await summary(pledge);
  instalments(pledge);
  payments(pledge);
  forms(pledge);
  $("pledge").dataset.ready = "yes";
  $("pledge").dataset.version = String(pledge.version);
}

// A form's handler: a bad field is named in the page's language and focused; the API's refusals are shown too.
function form(id, action) {
  $(id).addEventListener("submit", guarded(async (event) => {
    try {
      await action(new FormData(event.target), event.target);
    } catch (error) {
      if (error instanceof Invalid && error.field) $(error.field).focus();
      if (error instanceof ApiError) throw new Error(fill(t.gf_refused, { reason: reason(error.message) }));
      throw error;
    }
  }));
}

form("pay-form", async (data, target) => {
  const body = { amount: amount(data.get("amount"), "pay-amount"), method: data.get("method"),
    reference: text(data.get("reference"), "pay-reference", t.gf_reference) };
  const at = instant(data.get("date"), "pay-date");
  if (at) body.received_at = at;
  if (cents(body.amount) > cents(pledge.outstanding)) {
    $("pay-amount").focus();
    throw new Invalid(fill(t.gf_err_overpayment, { left: euro(pledge.outstanding) }));
  }
  const answer = await api("POST", `/pledges/${ID}/payments`, body);
  if (answer.duplicate) {
    flash(fill(t.gf_duplicate, { reference: body.reference }), "error");
    return;
  }
  target.reset();
  $("pay-date").value = today();
  await load();
  flash(fill(t.gf_payment_recorded, { amount: euro(body.amount), reference: body.reference }), "ok");
});

form("reverse-form", async (data, target) => {
  const payment = pledge.payments.find((x) => x.payment_id === data.get("payment_id"));
  if (!payment) throw new Invalid(t.gf_err_choose_payment, "rev-payment");
  const value = amount(data.get("amount"), "rev-amount");
  const left = cents(payment.amount) - cents(payment.reversed);
  if (cents(value) > left) throw new Invalid(fill(t.gf_err_reversal_too_big, { left: euro(left / 100) }), "rev-amount");
  const why = text(data.get("reason"), "rev-reason", t.gf_reason);
  const body = { amount: value, reason: `${data.get("kind")}: ${why}` };
  const at = instant(data.get("date"), "rev-date");
  if (at) {
    if (payment.received_at && new Date(at) < new Date(payment.received_at)) {
      throw new Invalid(t.gf_err_before_payment, "rev-date");
    }
    body.reversed_at = at;
  }
  await api("POST", `/pledges/${ID}/payments/${payment.payment_id}/reversals`, body);
  target.reset();
  $("rev-date").value = today();
  await load();
  flash(fill(t.gf_reversed_done, { amount: euro(value), reference: payment.reference }), "ok");
});

form("receive-form", async (data, target) => {
  const quantity = Number(data.get("quantity"));
  const left = pledge.quantity - pledge.received_quantity;
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > left) {
    throw new Invalid(fill(t.gf_err_quantity, { left: number(left) }), "goods-quantity");
  }
  await api("POST", `/pledges/${ID}/goods`, { quantity });
  target.reset();
  await load();
  flash(fill(t.gf_goods_recorded, { n: number(quantity) }), "ok");
});

form("cancel-form", async (data) => {
  const why = text(data.get("reason"), "cancel-reason", t.gf_reason);
  if (!confirm(t.gf_confirm_cancel)) return;
  await api("POST", `/pledges/${ID}/cancel`, { reason: why });
  await load();
  flash(t.gf_cancelled, "ok");
});

async function start() {
  who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.gf_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("pledge").hidden = true;
    return;
  }
  actor = ACTORS.includes(who.role);
  for (const link of document.querySelectorAll(".gifts-actor")) link.hidden = !actor;
  for (const input of ["pay-date", "rev-date"]) { $(input).value = today(); $(input).max = today(); }
  await load();
}
start().catch((error) => flash(error instanceof ApiError ? reason(error.message) : error.message, "error"));
