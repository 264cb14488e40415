// Thank-you letters and receipts by e-mail: the per-fund plan (which transactional template, how many days after
// the payment, on or off), how receipts are sent, and one donor's receipts of a year sent now. Campaign managers
// and administrators change them; coordinators read the plan.
import { api, el, flash, guarded, lang, me, t } from "./common.js";
import { today } from "./today.js";

const $ = (id) => document.getElementById(id);
const EDITORS = ["campaign_manager", "administrator"];
const READERS = [...EDITORS, "coordinator"];
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
let plan = null;

function options(select, choices, first) {
  const kept = select.value;
  select.replaceChildren(...(first ? [el("option", { value: "" }, first)] : []),
    ...choices.map((c) => el("option", { value: c.id }, c.name)));
  if ([...select.options].some((o) => o.value === kept)) select.value = kept;
}

function row(line) {
  const state = el("span", { class: `badge ${line.enabled ? "active" : "closed"}` },
    line.enabled ? t.th_on : t.th_off);
  return el("tr", {},
    el("th", { scope: "row" }, line.fund_name),
    el("td", { "data-label": t.th_template }, line.template_name),
    el("td", { class: "num", "data-label": t.th_delay }, fill(t.th_days, { days: line.delay_days })),
    el("td", { "data-label": t.th_state }, state),
    el("td", { "data-label": t.th_set_by }, line.set_by.replace(/^account:/, "")));
}

function prefill() {
  const line = plan.funds.find((f) => f.fund_id === $("fund").value);
  if (!line) return;
  $("template").value = line.template_id;
  $("delay").value = String(line.delay_days);
  $("enabled").checked = line.enabled;
}

async function load() {
  plan = await api("GET", "/mail/thanks");
  $("plan").querySelector("tbody").replaceChildren(...plan.funds.map(row));
  $("plan").hidden = plan.funds.length === 0;
  $("plan-none").hidden = plan.funds.length > 0;
  options($("fund"), plan.known_funds);
  options($("template"), plan.templates);
  options($("receipt-template"), plan.templates, t.th_built_in);
  $("receipt-template").value = plan.receipts.template_id || "";
  $("year-end").checked = plan.receipts.year_end;
  prefill();
}

$("fund").addEventListener("change", prefill);

$("fund-form").addEventListener("submit", guarded(async () => {
  const error = $("fund-error");
  error.hidden = true;
  const delay = Number($("delay").value);
  const problem = !$("fund").value ? t.th_need_fund : !$("template").value ? t.th_need_template
    : !($("delay").value !== "" && Number.isInteger(delay) && delay >= 0 && delay <= 30) ? t.th_bad_delay : "";
  if (problem) {
    error.textContent = problem;
    error.hidden = false;
    return;
  }
  const line = await api("PUT", `/mail/thanks/funds/${$("fund").value}`,
    { template_id: $("template").value, delay_days: delay, enabled: $("enabled").checked });
  await load();
  flash(fill(t.th_saved, { fund: line.fund_name }), "info");
  $("plan-title").focus();
}));

$("receipts-form").addEventListener("submit", guarded(async () => {
  await api("PUT", "/mail/thanks/receipts",
    { template_id: $("receipt-template").value || null, year_end: $("year-end").checked });
  await load();
  flash(t.th_receipts_saved, "info");
}));

$("send-form").addEventListener("submit", guarded(async () => {
  const result = $("send-result");
  if (!$("send-form").checkValidity()) {
    result.textContent = t.th_bad_send;
    result.className = "flash error";
    return;
  }
  const sent = await api("POST", "/mail/receipts", { donor_id: $("donor").value.trim(), year: Number($("year").value) });
  const status = t[`th_status_${sent.status}`] || sent.status;
  result.className = sent.status === "accepted" ? "" : "flash error";
  result.textContent = fill(t.th_sent, { files: sent.files.join(", "), status })
    + (sent.reason ? ` (${sent.reason})` : "");
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/thanks`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.th_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("thanks").hidden = true;
    return;
  }
  const editor = EDITORS.includes(who.role);
  document.querySelectorAll(".editor-only").forEach((node) => { node.hidden = !editor; });
  $("read-only").hidden = editor;
  $("year").value = String(Number(today().slice(0, 4)) - 1);
  await load();
  $("thanks").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
