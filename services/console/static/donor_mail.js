// The donor's e-mail: consent to marketing mail (given here, or with a campaign's contact list), an unsubscribe, an
// address on hold after bounces, and the messages sent — to the donor's record and to them as a campaign contact
// (campaigns know them by their number: one person, two ids).
import { api, day, el, flash, guarded, lang, me, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const donorId = $("donor").dataset.donor;
const READERS = ["campaign_manager", "coordinator", "administrator"];
const when = (iso) => new Intl.DateTimeFormat(document.body.dataset.locale || lang,
  { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Rome" }).format(new Date(iso));
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);

function what(message) {
  const [kind, id] = message.list_id.split(":");
  if (kind === "campaign") return el("a", { href: `/console/campaigns/${id}?lang=${lang}` }, t.ml_kind_campaign);
  return t[`ml_kind_${kind}`] || message.list_id;
}

function status(message) {
  const badge = el("span", { class: `badge ${message.status === "accepted" ? "imported" : ""}` },
    t[`ml_status_${message.status}`] || message.status);
  const parts = [badge];
  if (message.unsubscribed) parts.push(" ", el("span", { class: "badge" }, t.ml_status_unsubscribed));
  if (message.reason && message.status !== "accepted") parts.push(el("span", { class: "small muted" }, ` ${message.reason}`));
  return parts;
}

function stateLines(own, contact) {
  const lines = [];
  const consented = own.marketing_consent_at || (contact && contact.marketing_consent_at);
  if (consented) {
    const source = (own.choices.concat(contact ? contact.choices : []).filter((c) => c.kind === "consented").pop() || {}).source || "";
    lines.push(el("li", {}, el("span", { class: "badge imported" }, t.ml_consent_yes), " ",
      fill(t.ml_consent_since, { date: day(consented), source })));
  } else {
    lines.push(el("li", {}, el("span", { class: "badge" }, t.ml_consent_no), " ", t.ml_consent_no_help));
  }
  const left = own.unsubscribed_at || (contact && contact.unsubscribed_at);
  if (left) lines.push(el("li", {}, el("span", { class: "badge closed" }, t.ml_unsubscribed), " ", fill(t.ml_unsubscribed_on, { date: day(left) })));
  const held = own.on_hold ? own : contact && contact.on_hold ? contact : null;
  if (held) lines.push(el("li", {}, el("span", { class: "badge closed" }, t.ml_on_hold), " ", held.hold_reason));
  return lines;
}

async function show() {
  const [own, contacts] = await Promise.all([api("GET", `/mail/people/${donorId}`),
    api("GET", `/donors/${donorId}/contacts`).catch(() => ({ person_id: null }))]);
  const contact = contacts.person_id ? await api("GET", `/mail/people/${contacts.person_id}`) : null;
  $("mail-state").replaceChildren(...stateLines(own, contact));
  $("mail-consent").hidden = Boolean(own.marketing_consent_at);
  $("mail-withdraw").hidden = !own.marketing_consent_at;
  const history = own.history.concat(contact ? contact.history : [])
    .sort((a, b) => String(b.accepted_at || "").localeCompare(String(a.accepted_at || "")));
  $("no-mail").hidden = history.length > 0;
  $("mail-history").closest(".scroll").hidden = history.length === 0;
  $("mail-history").tBodies[0].replaceChildren(...history.map((m) => el("tr", {},
    el("td", {}, m.accepted_at ? when(m.accepted_at) : "—"), el("td", {}, what(m)), el("td", {}, ...status(m)))));
}

async function start() {
  const who = await me();
  if (!who || !READERS.includes(who.role)) {
    $("mail-card").hidden = true;
    return;
  }
  $("mail-consent").addEventListener("submit", guarded(async () => {
    await api("POST", `/mail/people/${donorId}/consent`,
      { source: $("mail-consent-source").value, text: $("mail-consent-text").value });
    flash(t.ml_consent_recorded);
    await show();
  }));
  $("mail-withdraw").addEventListener("submit", guarded(async () => {
    await api("POST", `/mail/people/${donorId}/consent/withdrawal`, { source: $("mail-withdraw-source").value });
    flash(t.ml_consent_withdrawn);
    await show();
  }));
  try {
    await show();
  } catch (error) {
    if (error.status === 403) $("mail-card").hidden = true;
    else flash(error.message, "error");
  }
  $("mail-card").dataset.ready = "yes";
}
start();
