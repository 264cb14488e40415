// The year's numbered receipts for the donations office and auditors: number, day, amount, method, donor id (no
// names: the name is read from the vault only into a receipt's PDF, and each such read is recorded).
import { api, day, el, euro, flash, lang, me, t } from "./common.js";
import { today } from "./today.js";

const $ = (id) => document.getElementById(id);
const READERS = ["auditor", "campaign_manager", "administrator"];
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const method = (key) => t[`rc_method_${key}`] || key;

function row(r, year) {
  const pdf = el("a", { href: `/receipts/${year}/${r.number}.pdf?lang=${lang}`, download: `${r.number}.pdf` }, "PDF");
  pdf.setAttribute("aria-label", fill(t.rc_download_one, { number: r.number }));
  const number = el("th", { scope: "row" }, r.number);
  if (r.voided_on) number.append(" ", el("span", { class: "badge rejected" }, `${t.rc_voided} ${day(r.voided_on)}`));
  return el("tr", r.voided_on ? { class: "voided" } : {},
    number,
    el("td", { "data-label": t.rc_date }, day(r.fulfilled_on)),
    el("td", { class: "num", "data-label": t.rc_amount }, euro(r.amount)),
    el("td", { "data-label": t.rc_method }, method(r.method)),
    el("td", { "data-label": t.rc_donor }, el("code", { class: "donor-id" }, r.donor_id)),
    el("td", {}, pdf));
}

function chooser(years, chosen) {
  const select = $("year");
  const all = [...new Set([chosen, ...years])].sort((a, b) => b - a);
  select.replaceChildren(...all.map((y) => el("option", { value: String(y) }, String(y))));
  select.value = String(chosen);
}

async function show(year, focus = false) {
  const list = await api("GET", `/console/api/receipts/${year}`);
  chooser(list.years, year);
  const receipts = list.receipts;
  $("list-title").textContent = fill(t.rc_list_title, { year });
  $("list").querySelector("tbody").replaceChildren(...receipts.map((r) => row(r, year)));
  $("list").hidden = receipts.length === 0;
  $("none").hidden = receipts.length > 0;
  const total = receipts.filter((r) => !r.voided_on).reduce((sum, r) => sum + Math.round(Number(r.amount) * 100), 0);
  $("summary").textContent = receipts.length
    ? fill(t.rc_summary, { count: receipts.length, year, total: euro(total / 100) }) : "";
  const zip = $("zip");
  zip.href = `/receipts/${year}.zip?lang=${lang}`;
  zip.setAttribute("download", `receipts-${year}.zip`);
  zip.textContent = fill(t.rc_download_zip, { year });
  $("zip-line").hidden = receipts.length === 0;
  history.replaceState(null, "", `?lang=${lang}&year=${year}`);
  if (focus) $("list-title").focus();
}

$("year-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  try {
    await show(Number($("year").value), true);
  } catch (error) {
    flash(error.message, "error");
  }
});

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/receipts`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.rc_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("receipts").hidden = true;
    return;
  }
  const asked = Number(new URLSearchParams(location.search).get("year"));
  const first = await api("GET", `/console/api/receipts/${asked >= 2000 && asked <= 2100 ? asked : today().slice(0, 4)}`);
  await show(asked >= 2000 && asked <= 2100 ? asked : (first.years[0] || first.year));
  $("receipts").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
