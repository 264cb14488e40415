// The funds desk: every fund's raised / reversed / disbursed / balance, following the ledger live; campaign
// managers create, rename and close funds here.
import { api, el, euro, flash, lang, me, t } from "./common.js";
import { fill, fillTable, follow, MANAGERS, READERS, refusal } from "./funds_live.js";

let manager = false;
let renaming = null; // { fund, opener }
let live = null;

const cents = (amount) => Math.round(Number(amount) * 100);
const sum = (funds, key) => (funds.reduce((total, fund) => total + cents(fund[key]), 0) / 100).toFixed(2);

function render(state) {
  const rows = state.funds.map((fund) => {
    const actions = el("td", { class: "manager-only actions" });
    if (manager && !fund.closed) {
      const rename = el("button", { type: "button", "aria-label": `${t.fu_rename}: ${fund.name}` }, t.fu_rename);
      rename.addEventListener("click", () => openRename(fund, rename));
      const close = el("button", { type: "button", class: "danger", "aria-label": `${t.fu_close}: ${fund.name}` }, t.fu_close);
      close.addEventListener("click", () => closeFund(fund));
      actions.append(rename, " ", close);
    }
    if (!manager) actions.hidden = true;
    return el("tr", { "data-fund": fund.fund_id, class: fund.closed ? "closed" : "" },
      el("th", { scope: "row" }, el("a", { href: `/console/funds/${fund.fund_id}?lang=${lang}` }, fund.name)),
      el("td", {}, el("span", { class: `badge ${fund.closed ? "closed" : "open"}` }, fund.closed ? t.fu_closed : t.fu_open)),
      el("td", { class: "num raised" }, euro(fund.raised)), el("td", { class: "num reversed" }, euro(fund.reversed)),
      el("td", { class: "num disbursed" }, euro(fund.disbursed)), el("td", { class: "num balance" }, euro(fund.balance)),
      actions);
  });
  const foot = state.funds.length > 1 ? [el("tr", { class: "total" }, el("th", { scope: "row" }, t.fu_total), el("td", {}, ""),
    ...["raised", "reversed", "disbursed", "balance"].map((key) => el("td", { class: `num ${key}` }, euro(sum(state.funds, key)))),
    el("td", manager ? { class: "manager-only" } : { class: "manager-only", hidden: "" }, ""))] : [];
  fillTable("funds", rows, "funds-empty", foot);
  document.querySelectorAll("#funds thead .manager-only").forEach((th) => { th.hidden = !manager; });
}

function showError(id, message) {
  const box = document.getElementById(id);
  box.textContent = message;
  box.hidden = !message;
}

async function create(event) {
  event.preventDefault();
  const input = document.getElementById("new-name");
  try {
    const fund = await api("POST", "/funds", { name: input.value });
    showError("new-error", "");
    input.removeAttribute("aria-invalid");
    input.value = "";
    flash(fill(t.fu_created_done, { name: fund.name }), "ok");
    await live.refresh();
  } catch (error) {
    showError("new-error", refusal(error));
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

function openRename(fund, opener) {
  renaming = { fund, opener };
  document.getElementById("rename-old").textContent = fund.name;
  const input = document.getElementById("rename-name");
  input.value = fund.name;
  input.removeAttribute("aria-invalid");
  showError("rename-error", "");
  document.getElementById("rename").showModal();
  input.select();
}

async function rename(event) {
  event.preventDefault();
  const input = document.getElementById("rename-name");
  try {
    const fund = await api("POST", `/funds/${renaming.fund.fund_id}/rename`, { name: input.value });
    document.getElementById("rename").close();
    flash(fill(t.fu_renamed_done, { name: fund.name }), "ok");
    await live.refresh();
  } catch (error) {
    showError("rename-error", refusal(error));
    input.setAttribute("aria-invalid", "true");
    input.focus();
  }
}

async function closeFund(fund) {
  if (!window.confirm(fill(t.fu_confirm_close, { name: fund.name }))) return;
  try {
    await api("POST", `/funds/${fund.fund_id}/close`);
    flash(fill(t.fu_closed_done, { name: fund.name }), "ok");
    await live.refresh();
  } catch (error) {
    flash(refusal(error), "error");
  }
  document.getElementById("main").focus();
}

async function start() {
  const user = await me();
  if (!user) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (!READERS.includes(user.role)) {
    document.getElementById("wrong-role").hidden = false;
    document.getElementById("funds-desk").hidden = true;
    return;
  }
  manager = MANAGERS.includes(user.role);
  document.querySelectorAll("section.manager-only").forEach((section) => { section.hidden = !manager; });
  document.getElementById("read-only").hidden = manager;
  document.getElementById("new-form").addEventListener("submit", create);
  document.getElementById("rename-form").addEventListener("submit", rename);
  document.getElementById("rename-cancel").addEventListener("click", () => document.getElementById("rename").close());
  document.getElementById("rename").addEventListener("close", () => {
    (renaming?.opener?.isConnected ? renaming.opener : document.getElementById("main")).focus();
  });
  live = follow("/console/api/funds", "funds", render);
}
start().catch((error) => flash(error.message, "error"));
