// The campaign dashboard's e-mails: each mailing of the campaign with what happened to it (accepted, bounced,
// unsubscribed, pledged, still queued), the relay waiting when it is, and a form to prepare a new one from a
// published marketing template. Read every 5 s while one is being sent, every 30 s otherwise. Hidden for a role
// that may not read mailings.
import { api, el, flash, guarded, lang, number, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const campaignId = $("dashboard").dataset.campaign;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const when = (iso) => new Intl.DateTimeFormat(document.body.dataset.locale || lang,
  { dateStyle: "short", timeStyle: "short", timeZone: "Europe/Rome" }).format(new Date(iso));
let timer = null;

function row(m) {
  const c = m.counts;
  return el("tr", {},
    el("th", { scope: "row" }, el("a", { href: `/console/mail/mailings/${m.id}?lang=${lang}` }, m.name)),
    el("td", {}, el("span", { class: `badge ${m.status === "sent" ? "imported" : m.status === "sending" ? "active" : ""}` },
      t[`ml_dash_status_${m.status}`] || m.status)),
    ...[c.accepted, c.bounced + c.refused, c.unsubscribed, c.pledged, c.queued].map((n) => el("td", { class: "num" }, number(n))));
}

async function refresh() {
  const list = await api("GET", `/mail/mailings?campaign_id=${campaignId}`);
  $("mail-card").hidden = false;
  $("no-mailings").hidden = list.length > 0;
  $("mailings").tBodies[0].replaceChildren(...list.map(row));
  const waiting = list.find((m) => m.relay.waiting);
  $("mail-relay").hidden = !waiting;
  if (waiting) $("mail-relay").textContent = fill(t.ml_dash_relay, { since: when(waiting.relay.since) });
  clearTimeout(timer);
  timer = setTimeout(() => refresh().catch(() => {}), list.some((m) => m.status === "sending") ? 5000 : 30000);
}

async function templates() {
  let found;
  try {
    found = await api("GET", "/mail/templates");
  } catch {
    return; // a role that reads mailings but may not prepare one
  }
  const usable = found.filter((x) => x.kind === "marketing" && !x.retired && x.versions > 0);
  $("mailing-template").replaceChildren(...usable.map((x) => el("option", { value: x.id }, x.name)));
  $("new-mailing").hidden = usable.length === 0;
  $("no-templates").hidden = usable.length > 0;
}

async function start() {
  try {
    await refresh();
  } catch (error) {
    if (error.status !== 403 && error.status !== 401) flash(error.message, "error");
    return;
  }
  await templates();
  $("new-mailing").addEventListener("submit", guarded(async () => {
    const made = await api("POST", "/mail/mailings",
      { campaign_id: campaignId, template_id: $("mailing-template").value, name: $("mailing-name").value });
    location.href = `/console/mail/mailings/${made.id}?lang=${lang}`;
  }));
  $("mail-card").dataset.ready = "yes";
}
start();
