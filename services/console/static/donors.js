// The donations office's donor search: by name (whole words), phone, e-mail or tax code; each donor listed is a
// read of their name in the access trail. And a new donor (person or company) with consents per channel.
import { api, el, flash, guarded, lang, me, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const READERS = ["campaign_manager", "coordinator", "administrator"];
const LIMIT = 20;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const TAX = /^[A-Za-z0-9]{11,16}$/;

function donorItem(d) {
  const name = d.name || "—";
  return el("li", { class: "found-donor" },
    el("a", { href: `/console/donors/${d.id}?lang=${lang}` }, name), " ",
    el("span", { class: "badge" }, d.kind === "company" ? t.dn_kind_company : t.dn_kind_person));
}

async function search() {
  const q = $("q").value.trim(), by = $("by").value;
  if (!q) { $("q").focus(); throw new Error(t.dn_empty); }
  const found = await api("GET", `/donors?${new URLSearchParams({ q, by, limit: String(LIMIT) })}`);
  $("results").replaceChildren(...found.donors.map(donorItem));
  $("found").textContent = !found.total ? t.dn_nothing
    : found.total > found.donors.length ? fill(t.dn_found_some, { n: found.total, shown: found.donors.length })
      : fill(t.dn_found, { n: found.total });
  $("flash").hidden = true;
  const first = $("results").querySelector("a");
  if (first && found.total === 1) first.focus();
}

function hint() {
  $("q-hint").textContent = t[`dn_hint_${$("by").value}`];
  $("q").type = $("by").value === "phone" ? "tel" : $("by").value === "email" ? "email" : "text";
}

async function create(event) {
  const form = new FormData(event.target);
  const value = (name) => String(form.get(name) || "").trim();
  const body = { kind: value("kind") || "person", name: value("name") };
  if (!body.name) { $("new-name").focus(); throw new Error(t.dn_need_name); }
  for (const name of ["phone", "email", "tax_code"]) if (value(name)) body[name] = value(name);
  if (body.tax_code && !TAX.test(body.tax_code)) { $("new-tax").focus(); throw new Error(t.dn_bad_tax); }
  const channels = form.getAll("consent");
  if (channels.length && value("source").length < 3) { $("new-source").focus(); throw new Error(t.dn_need_source); }
  body.consents = channels.map((channel) => ({ channel, source: value("source") }));
  const donor = await api("POST", "/donors", body);
  event.target.reset();
  flash(`${t.dn_created}: ${donor.name}`, "ok");
  const link = el("a", { href: `/console/donors/${donor.id}?lang=${lang}` }, `${t.dn_open}: ${donor.name}`);
  $("flash").append(" ", link);
  link.focus();
}

$("by").addEventListener("change", hint);
$("search-form").addEventListener("submit", guarded(search));
$("new-form").addEventListener("submit", guarded(create));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/donors`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.dn_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("donors").hidden = true;
    return;
  }
  const asked = new URLSearchParams(location.search);
  if (asked.get("by")) $("by").value = asked.get("by");
  hint();
  if (asked.get("q")) { $("q").value = asked.get("q"); await guarded(search)(new Event("submit")); }
  $("donors").dataset.ready = "yes";
}
start();
