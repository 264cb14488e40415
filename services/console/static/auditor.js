// The auditor runs the ledger verification and reads the result.
import { api, el, euro, flash, number, t } from "./common.js";

document.getElementById("verify").addEventListener("click", async () => {
  const result = document.getElementById("result");
  result.replaceChildren(el("p", {}, t.loading));
  try {
    const report = await api("GET", "/ledger/verify");
    const rows = report.differences.map((d) => el("tr", {}, el("td", { class: "num" }, d.sequence), el("td", {}, d.problem), el("td", {}, d.detail)));
    result.replaceChildren(
      el("p", { class: `verdict ${report.ok ? "ok" : "bad"}` }, report.ok ? `✔ ${t.verified_ok}` : `✘ ${t.verified_bad}`),
      el("dl", { class: "figures" },
        el("div", {}, el("dt", {}, t.checked), el("dd", {}, number(report.checked))),
        el("div", {}, el("dt", {}, t.raised), el("dd", {}, euro(report.head.totals.raised))),
        el("div", {}, el("dt", {}, t.balance), el("dd", {}, euro(report.head.totals.balance))),
        el("div", { class: "wide" }, el("dt", {}, t.hash), el("dd", {}, el("code", {}, report.head.hash)))),
      ...(rows.length ? [el("table", {}, el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t.sequence),
        el("th", { scope: "col" }, t.problem), el("th", { scope: "col" }, t.detail))), el("tbody", {}, ...rows))] : []));
  } catch (error) {
    result.replaceChildren();
    flash(error.message, "error");
  }
});
