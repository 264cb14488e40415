// Campaign managers: list, create a fund and a campaign for an open fund, import the register and contacts, launch.
import { api, day, el, flash, lang, number, t } from "./common.js";
import { today } from "./today.js";

const known = new Map();
const select = document.getElementById("k-campaign");
const fundSelect = document.getElementById("c-fund");

function render(list) {
  for (const c of list) known.set(c.campaign_id, c);
  const rows = [...known.values()].map((c) => el("tr", {},
    el("td", {}, c.name), el("td", {}, el("span", { class: `badge ${c.status}` }, t[`status_${c.status}`] || c.status)),
    el("td", {}, day(c.starts_on)), el("td", {}, day(c.ends_on)),
    el("td", {}, el("a", { href: `/console/campaigns/${c.campaign_id}?lang=${lang}` }, `${t.dashboard}: ${c.name}`))));
  document.querySelector("#campaigns tbody").replaceChildren(
    ...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "5" }, t.no_campaigns))]));
  const chosen = select.value;
  select.replaceChildren(...[...known.values()].map((c) => el("option", { value: c.campaign_id }, c.name)));
  if (chosen) select.value = chosen;
}

async function refresh() {
  try {
    render(await api("GET", "/console/api/campaigns"));
    showFunds((await api("GET", "/transparency/funds")).funds);
  } catch (error) {
    flash(error.message, "error");
  }
}

// A campaign raises money for an open fund: the manager picks one, or creates one first.
function showFunds(funds, chosen = fundSelect.value) {
  const open = funds.filter((f) => !f.closed).sort((a, b) => a.name.localeCompare(b.name, lang));
  fundSelect.replaceChildren(...open.map((f) => el("option", { value: f.fund_id }, f.name)));
  if (open.some((f) => f.fund_id === chosen)) fundSelect.value = chosen;
  document.getElementById("no-open-funds").hidden = open.length > 0;
}

document.getElementById("new-campaign").addEventListener("submit", async (event) => {
  event.preventDefault();
  const f = new FormData(event.target);
  try {
    const body = { name: f.get("name"), fund_id: f.get("fund_id"), goal: f.get("goal"),
      starts_on: f.get("starts_on"), ends_on: f.get("ends_on"),
      script: { text: f.get("script"), privacy_notice: f.get("privacy_notice") } };
    const created = await api("POST", "/campaigns", body);
    render([{ campaign_id: created.id, name: created.name, status: created.status, starts_on: created.starts_on,
      ends_on: created.ends_on }]);
    select.value = created.id;
    flash(`${t.done}: ${created.name}`, "ok");
  } catch (error) {
    flash(error.message, "error");
  }
});

document.getElementById("new-fund").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const created = await api("POST", "/funds", { name: new FormData(event.target).get("name") });
    const funds = (await api("GET", "/transparency/funds")).funds;  // a read model: may not list it yet
    if (!funds.some((f) => f.fund_id === created.id)) funds.push({ fund_id: created.id, name: created.name, closed: false });
    showFunds(funds, created.id);
    event.target.reset();
    flash(`${t.done}: ${t.fund} ${created.name}`, "ok");
  } catch (error) {
    flash(error.message, "error");
  }
});

document.getElementById("register").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    const report = await api("POST", "/suppression/register", new FormData(event.target));
    flash(`${t.done}: ${t.register_checked_on} ${day(report.checked_on)} (${number(report.listed)})`, "ok");
  } catch (error) {
    flash(error.message, "error");
  }
});

document.getElementById("contacts").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData();
  form.append("file", document.getElementById("k-file").files[0]);
  try {
    const report = await api("POST", `/campaigns/${select.value}/contacts/import`, form);
    flash(`${t.done}: ${number(report.imported)} / ${number(report.rows)}`, "ok");
  } catch (error) {
    flash(error.message, "error");
  }
});

document.getElementById("launch").addEventListener("click", async () => {
  try {
    const launched = await api("POST", `/campaigns/${select.value}/launch`);
    render([{ ...known.get(select.value), status: launched.status }]);
    flash(`${t.done}: ${launched.name} — ${launched.status}`, "ok");
  } catch (error) {
    flash(error.message, "error");
  }
});

document.getElementById("r-date").value = today();  // the product's day, not the browser's (nor UTC's)
document.getElementById("c-start").value = today();
refresh();
setInterval(refresh, 5000);
