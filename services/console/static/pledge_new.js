// A new pledge for a donor: money at once or in instalments (an even schedule the office can read before saving),
// or goods (description, quantity, declared value). The donor's page links here with ?donor=<id>.
import { ApiError, api, day, el, euro, flash, guarded, lang, me, t } from "./common.js";
import { ACTORS, Invalid, amount, fill, reason, text, today } from "./gifts.js";

const $ = (id) => document.getElementById(id);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
let donor = null;

const kind = () => new FormData($("pledge-form")).get("kind");

function addMonths(iso, months) {
  const [y, m, d] = iso.split("-").map(Number);
  const last = new Date(Date.UTC(y, m - 1 + months + 1, 0)).getUTCDate();
  const date = new Date(Date.UTC(y, m - 1 + months, Math.min(d, last)));
  return date.toISOString().slice(0, 10);
}

// The schedule: `count` instalments `every` months from `first`, the cents left over on the last one.
function schedule(total, count, first, every) {
  const all = Math.round(Number(total) * 100), each = Math.floor(all / count);
  return Array.from({ length: count }, (_, n) => ({
    due_on: addMonths(first, n * every), amount: ((n === count - 1 ? all - each * (count - 1) : each) / 100).toFixed(2) }));
}

function planned() {
  const data = new FormData($("pledge-form"));
  const total = amount(data.get("amount"), "amount");
  const count = Number(data.get("count"));
  if (!Number.isInteger(count) || count < 2 || count > 120) throw new Invalid(t.gf_err_count, "count");
  const first = data.get("first_due");
  if (!first) throw new Invalid(fill(t.gf_err_required, { what: t.gf_first_due }), "first-due");
  return schedule(total, count, first, Number(data.get("every")));
}

function showKind() {
  const k = kind();
  $("instalment-fields").hidden = k !== "instalments";
  $("goods-fields").hidden = k !== "goods";
  $("amount-label").textContent = k === "goods" ? t.gf_declared_value_eur : t.gf_amount_eur;
  preview();
}

function preview() {
  let rows = [];
  try { if (kind() === "instalments") rows = planned(); } catch { rows = []; }
  $("schedule-box").hidden = !rows.length;
  $("schedule").tBodies[0].replaceChildren(...rows.map((r, n) => el("tr", {}, el("td", { class: "num" }, n + 1),
    el("td", {}, day(r.due_on)), el("td", { class: "num" }, euro(r.amount)))));
}

async function useDonor(id) {
  donor = null;
  $("donor-name").textContent = "";
  if (!UUID.test(id)) throw new Invalid(t.gf_err_donor, "donor-id");
  const found = await api("GET", `/donors/${id}`);
  donor = found.id;
  $("donor-name").replaceChildren(el("strong", {}, found.erased ? t.gf_erased : found.name), " · ",
    el("a", { href: `/console/donors/${found.id}?lang=${lang}` }, t.gf_donor_page));
}

async function funds() {
  const listed = (await api("GET", "/transparency/funds")).funds ?? [];
  const open = listed.filter((f) => !f.closed);
  $("fund").replaceChildren(...open.map((f) => el("option", { value: f.fund_id }, f.name)));
}

for (const radio of document.querySelectorAll("input[name=kind]")) radio.addEventListener("change", showKind);
for (const id of ["amount", "count", "first-due", "every"]) $(id).addEventListener("input", preview);
$("donor-form").addEventListener("submit", guarded(async () => {
  await useDonor($("donor-id").value.trim());
  history.replaceState(null, "", `?donor=${donor}&lang=${lang}`);
}));
$("pledge-form").addEventListener("submit", guarded(async () => {
  try {
    if (!donor) throw new Invalid(t.gf_err_donor, "donor-id");
    const data = new FormData($("pledge-form"));
    const fund = data.get("fund_id");
    if (!fund) throw new Invalid(t.gf_err_fund, "fund");
    const body = { donor_id: donor, fund_id: fund, kind: kind() === "goods" ? "goods" : "money",
      amount: amount(data.get("amount"), "amount", kind() === "goods" ? t.gf_declared_value : t.gf_amount) };
    if (kind() === "instalments") body.instalments = planned();
    if (kind() === "goods") {
      body.description = text(data.get("description"), "description", t.gf_description);
      const quantity = Number(data.get("quantity"));
      if (!Number.isInteger(quantity) || quantity < 1 || quantity > 1000000) throw new Invalid(t.gf_err_goods_quantity, "quantity");
      body.quantity = quantity;
    }
    const made = await api("POST", "/pledges", body);
    location.href = `/console/pledges/${made.id}?lang=${lang}`;
  } catch (error) {
    if (error instanceof Invalid && error.field) $(error.field).focus();
    if (error instanceof ApiError) throw new Error(reason(error.message));
    throw error;
  }
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname + location.search)}`;
    return;
  }
  if (!ACTORS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.gf_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("new-pledge").hidden = true;
    return;
  }
  $("first-due").value = today();
  await funds();
  // The sign-in page sends people back to `next` with "?lang=" appended, even after a query of its own.
  const id = (new URLSearchParams(location.search).get("donor") || "").split("?")[0];
  if (id) {
    $("donor-id").value = id;
    await useDonor(id);
    // the language links keep the donor (they carry only ?lang= otherwise)
    for (const link of document.querySelectorAll(".langs a")) {
      link.href = `?donor=${encodeURIComponent(id)}&lang=${link.getAttribute("lang")}`;
    }
  }
  showKind();
  $("new-pledge").dataset.ready = "yes";
}
start().catch((error) => flash(error instanceof ApiError ? reason(error.message) : error.message, "error"));
