// A donor's record: details from the vault (one read in the access trail), pledges with their status, payments,
// reversals and goods, numbered receipts with their PDFs and regular gifts (for the roles that read money), consents
// per channel, every campaign contact with each call's outcome, and (for administrators) the trail.
import { api, day, el, euro, flash, lang, me, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const READERS = ["campaign_manager", "coordinator", "administrator"];
const box = $("donor");
const donorId = box.dataset.donor;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const cents = (amount) => Math.round(Number(amount) * 100);
const when = (iso) => new Intl.DateTimeFormat(document.body.dataset.locale || lang,
  { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Rome" }).format(new Date(iso));

async function record() {
  const donor = await api("GET", `/donors/${donorId}/record`);
  $("erased-note").hidden = !donor.erased;
  $("r-name").textContent = donor.erased ? t.dn_erased_short : donor.name || t.dn_not_given;
  $("r-kind").textContent = donor.kind === "company" ? t.dn_kind_company : t.dn_kind_person;
  for (const name of ["phone", "email", "tax_code"]) $(`r-${name}`).textContent = donor[name] || t.dn_not_given;
  document.title = `${donor.name || t.dn_donor_title} · Angeli`;
}

function payment(p) {
  const reversed = Number(p.reversed) > 0 ? el("span", { class: "badge rejected" }, fill(t.dn_reversed, { amount: euro(p.reversed) })) : "";
  return el("li", {}, `${day(p.received_at)} · ${euro(p.amount)} · ${t[`dn_method_${p.method}`] || p.method} · `,
    el("code", {}, p.reference), " ", reversed);
}

function pledge(p) {
  const head = el("h3", {}, el("a", { href: `/console/pledges/${p.id}?lang=${lang}`, "aria-label": `${t.dn_pledge_open}: ${fill(t.dn_pledge_of, { date: day(p.made_at), fund: p.fund_name })}` },
    fill(t.dn_pledge_of, { date: day(p.made_at), fund: p.fund_name })), " ",
  el("span", { class: `badge status-${p.status}` }, t[`dn_status_${p.status}`] || p.status));
  const figures = el("dl", { class: "figures small" },
    el("div", {}, el("dt", {}, t.dn_amount), el("dd", {}, euro(p.amount))),
    el("div", {}, el("dt", {}, t.dn_paid), el("dd", {}, euro(p.paid))),
    el("div", {}, el("dt", {}, t.dn_outstanding), el("dd", {}, euro(p.outstanding))));
  const item = el("li", { class: "pledge" }, head, figures);
  if (p.kind === "goods") {
    item.append(el("p", {}, `${t.dn_goods}: ${p.description || ""} — `,
      fill(t.dn_goods_received, { received: p.received_quantity, quantity: p.quantity, value: euro(p.received_value) })));
  } else {
    item.append(el("h4", {}, t.dn_payments), p.payments.length
      ? el("ul", { class: "payments" }, ...p.payments.map(payment)) : el("p", { class: "muted small" }, t.dn_no_payments));
  }
  if (p.instalments.length) {
    item.append(el("p", { class: "small" }, `${t.dn_instalments}: `,
      p.instalments.map((i) => `${day(i.due_on)} ${euro(i.amount)}`).join(" · ")));
  }
  return item;
}

async function pledges() {
  const list = await api("GET", `/donors/${donorId}/pledges`);
  const sum = (pick) => list.reduce((total, p) => total + pick(p), 0) / 100;
  const reversed = (p) => p.payments.reduce((total, x) => total + cents(x.reversed), 0);
  $("t-pledged").textContent = euro(sum((p) => (p.status === "cancelled" ? 0 : cents(p.amount))));
  $("t-paid").textContent = euro(sum((p) => cents(p.paid)));
  $("t-reversed").textContent = euro(sum(reversed));
  $("t-outstanding").textContent = euro(sum((p) => (p.status === "cancelled" ? 0 : cents(p.outstanding))));
  $("no-pledges").hidden = list.length > 0;
  $("pledges").replaceChildren(...list.map(pledge));
}

// donor page: receipts, regular gifts, campaign contacts
const money = () => box.dataset.money === "yes";

async function receipts() {
  if (!money()) return;
  const list = await api("GET", `/donors/${donorId}/receipts`);
  $("no-receipts").hidden = list.length > 0;
  $("receipts").closest(".scroll").hidden = list.length === 0;
  $("receipts").tBodies[0].replaceChildren(...list.map((r) => el("tr", {},
    el("th", { scope: "row" }, r.number), el("td", { "data-label": t.dp_fulfilled_on }, day(r.fulfilled_on)),
    el("td", { class: "num", "data-label": t.dn_amount }, euro(r.amount)),
    el("td", { "data-label": t.dp_receipt_state }, r.voided_on ? el("span", { class: "badge rejected" }, fill(t.dp_voided, { date: day(r.voided_on) }))
      : el("span", { class: "badge imported" }, t.dp_valid_receipt)),
    el("td", { "data-label": t.dp_document }, el("a", { href: `${r.pdf}?lang=${lang}`, "aria-label": fill(t.dp_download, { number: r.number }) }, "PDF")))));
}

async function regular() {
  if (!money()) return;
  const [list, funds] = await Promise.all([api("GET", `/donors/${donorId}/commitments`), api("GET", "/transparency/funds")]);
  const fundName = new Map(funds.funds.map((f) => [f.fund_id, f.name]));
  $("no-regular").hidden = list.length > 0;
  $("regular-gifts").replaceChildren(...list.slice().reverse().map((c) => {
    const pairs = [[t.rg_day, String(c.day)], [t.rg_start, day(c.start)], [t.rg_end_col, c.end ? day(c.end) : "—"],
      [t.rg_method, t[`rg_method_${c.method}`] || c.method],
      [t.rg_mandate, c.mandate_reference ? `${c.mandate_reference}${c.mandate_signed_on ? ` (${day(c.mandate_signed_on)})` : ""}` : "—"]];
    const paid = c.schedule.filter((p) => p.state === "paid").length, missed = c.schedule.filter((p) => p.state === "missed").length;
    return el("li", { class: "commitment" },
      el("h3", {}, `${euro(c.amount)} · ${t[`rg_freq_${c.frequency}`] || c.frequency} · ${fundName.get(c.fund_id) || ""} `,
        el("span", { class: `badge ${c.status}` }, t[`rg_status_${c.status}`] || c.status)),
      el("dl", { class: "figures small" }, ...pairs.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v)))),
      el("p", { class: "small" }, fill(t.dp_regular_periods, { paid, missed })));
  }));
}

function attempt(a) {
  const talk = a.talk_seconds ? ` · ${fill(t.dp_talk, { m: Math.floor(a.talk_seconds / 60), s: String(a.talk_seconds % 60).padStart(2, "0") })}` : "";
  const item = el("li", {}, `${when(a.at)} · `, el("strong", {}, t[a.disposition] || a.disposition),
    ` · ${t.dp_volunteer} `, el("code", {}, a.volunteer_id.slice(0, 8)), talk);
  if (a.notes) item.append(el("p", { class: "notes small" }, `${t.dp_notes}: `, a.notes));
  return item;
}

async function contacts() {
  const found = await api("GET", `/donors/${donorId}/contacts`);
  $("no-contacts").textContent = found.erased ? t.dp_contacts_erased : t.dp_no_contacts;
  $("no-contacts").hidden = found.contacts.length > 0;
  $("contacts").replaceChildren(...found.contacts.map((c) => el("li", { class: "contact" },
    el("h3", {}, el("a", { href: `/console/campaigns/${c.campaign_id}?lang=${lang}` }, c.campaign_name), " ",
      el("span", { class: `badge ${c.state === "open" ? "active" : "closed"}` }, c.state === "open" ? t.dp_contact_open : t[c.state] || c.state)),
    el("p", { class: "small muted" }, fill(t.dp_added, { date: day(c.added_at), n: c.attempts.length })),
    c.attempts.length ? el("ol", { class: "attempts" }, ...c.attempts.map(attempt)) : el("p", { class: "small muted" }, t.dp_not_called))));
}
// (end of donor page)

async function consents() {
  const list = await api("GET", `/donors/${donorId}/consents`);
  $("no-consents").hidden = list.length > 0;
  const channel = (purpose) => t[`dn_channel_${purpose.replace(/_outreach$/, "")}`] || purpose;
  $("consents").tBodies[0].replaceChildren(...list.map((c) => el("tr", {},
    el("th", { scope: "row" }, channel(c.purpose)),
    el("td", {}, el("span", { class: c.valid_now ? "badge imported" : "badge" }, c.valid_now ? t.dn_valid : t.dn_not_valid)),
    el("td", {}, day(c.given_at)), el("td", {}, c.expires_at ? day(c.expires_at) : "—"), el("td", {}, c.source))));
}

async function trail() {
  if (box.dataset.trail !== "yes") return;
  const rows = await api("GET", `/privacy/access-log?${new URLSearchParams({ person_id: donorId, limit: "50" })}`);
  $("trail").tBodies[0].replaceChildren(...rows.map((r) => el("tr", {},
    el("td", {}, when(r.at)), el("td", {}, `${r.actor} (${t[`role_${r.role}`] || r.role})`), el("td", {}, r.purpose),
    el("td", {}, r.fields.join(", ") || "—"), el("td", {}, t[`dn_outcome_${r.outcome}`] || r.outcome))));
}

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.dn_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    box.hidden = true;
    return;
  }
  const results = await Promise.allSettled([record(), pledges(), consents(), receipts(), regular(), contacts()]);
  const failed = results.find((r) => r.status === "rejected");
  if (failed) flash(failed.reason.status === 404 ? t.dn_not_found : failed.reason.message, "error");
  await trail().catch((error) => flash(error.message, "error"));  // after the record: its read is in the trail
  box.dataset.ready = "yes";
}
start();
