// Overdue instalments on a day, by age (0-30, 31-60, 61-90, 90+ days), each linked to its pledge's page.
import { live } from "./live.js";
import { api, day, el, euro, flash, guarded, lang, me, number, t } from "./common.js";
import { ACTORS, fill } from "./gifts.js";

const $ = (id) => document.getElementById(id);
const READERS = [...ACTORS, "auditor"];
const ageLabel = (a) => t[`gf_age_${a.replace("-", "_").replace("+", "_plus")}`] || a;
let fundNames = new Map();

async function names() {
  try {
    const listed = (await api("GET", "/transparency/funds")).funds ?? [];
    fundNames = new Map(listed.map((f) => [f.fund_id, f.name]));
  } catch { fundNames = new Map(); }
}

// The day asked for is read once, then followed live (live.js): a payment clears its line without reloading.
let stopFollowing = () => {};
async function show() {
  const asOf = $("as-of").value;  // empty: the product's today
  const path = `/instalments/overdue${asOf ? `?as_of=${asOf}` : ""}`;
  const found = await api("GET", path);
  $("as-of").value = found.as_of;
  draw(found);
  stopFollowing();
  stopFollowing = live(path, "overdue", draw, $("overdue-mode"));
}

function draw(found) {
  const chosen = $("age").value;
  let count = 0, unpaid = 0;
  $("ages").tBodies[0].replaceChildren(...found.ages.map((a) => {
    count += a.instalments;
    unpaid += Math.round(Number(a.unpaid) * 100);
    return el("tr", a.age === chosen ? { class: "chosen" } : {}, el("th", { scope: "row" }, ageLabel(a.age)),
      el("td", { class: "num" }, number(a.instalments)), el("td", { class: "num" }, euro(a.unpaid)));
  }));
  $("ages").tFoot.replaceChildren(el("tr", {}, el("th", { scope: "row" }, t.gf_total),
    el("td", { class: "num" }, number(count)), el("td", { class: "num" }, euro(unpaid / 100))));
  const rows = found.instalments.filter((i) => !chosen || i.age === chosen);
  $("none").hidden = rows.length > 0;
  $("list").hidden = !rows.length;
  $("list").tBodies[0].replaceChildren(...rows.map((i) => el("tr", {},
    el("td", { "data-label": t.gf_due_on }, day(i.due_on)),
    el("td", { class: "num", "data-label": t.gf_days_late }, fill(t.gf_days, { n: number(i.days_late) })),
    el("td", { "data-label": t.gf_fund }, fundNames.get(i.fund_id) || i.fund_id),
    el("td", { class: "num", "data-label": t.gf_unpaid }, euro(i.unpaid)),
    el("td", {}, el("a", { href: `/console/pledges/${i.pledge_id}?lang=${lang}` },
      fill(t.gf_instalment_of, { n: i.n, amount: euro(i.amount) }))))));
  $("cut").hidden = !found.truncated;
  $("overdue").dataset.ready = "yes";
}

$("as-of-form").addEventListener("submit", guarded(show));
$("age").addEventListener("change", guarded(show));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/gifts/overdue`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.gf_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("overdue").hidden = true;
    return;
  }
  for (const link of document.querySelectorAll(".gifts-actor")) link.hidden = !ACTORS.includes(who.role);
  await names();
  await show();
}
start().catch((error) => flash(error.message, "error"));
