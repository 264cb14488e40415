// Gift import: a bank, PayPal, card or SEPA export is checked first (POST /donations/import/preview stores
// nothing) and its report read line by line; then imported, with the same report. A file imported before changes
// nothing: its lines come back as duplicates.
import { ApiError, api, el, flash, guarded, lang, me, number, t } from "./common.js";
import { ACTORS, fill, reason } from "./gifts.js";

const $ = (id) => document.getElementById(id);
const MAX_BYTES = 10_000_000;  // the import's limit (services/donations/api.py, MAX_IMPORT_BYTES)
let checked = null;

function chosenFile() {
  const file = $("csv").files[0];
  if (!file) { $("csv").focus(); throw new Error(t.gf_choose_file); }
  if (file.size > MAX_BYTES) { $("csv").focus(); throw new Error(fill(t.gf_too_large, { mb: number(file.size / 1e6, 1) })); }
  const body = new FormData();
  body.append("file", file, file.name);
  return body;
}

function showReport(report, committed) {
  $("report-title").textContent = committed ? t.gf_report_done : t.gf_report_preview;
  const counts = [[committed ? t.gf_imported : t.gf_to_import, report.imported], [t.gf_duplicates, report.duplicates],
    [t.gf_rejected, report.rejected], [t.gf_rows, report.rows]];
  $("report-counts").replaceChildren(...counts.flatMap(([label, n]) => [el("dt", {}, label), el("dd", {}, number(n))]));
  $("report-summary").textContent = fill(committed ? t.gf_summary_done : t.gf_summary_preview,
    { imported: number(report.imported), duplicates: number(report.duplicates), rejected: number(report.rejected) });
  $("report-box").hidden = !report.lines.length;
  $("report-lines").tBodies[0].replaceChildren(...report.lines.map((line) => el("tr", { class: line.outcome },
    el("th", { scope: "row", class: "num", "data-label": t.gf_line }, number(line.line)),
    el("td", {}, el("span", { class: `badge ${line.outcome}` }, t[`gf_outcome_${line.outcome}`] || line.outcome)),
    el("td", { class: "reason", title: line.reason }, reason(line.reason)))));
  $("report-cut").hidden = !report.lines_truncated;
  $("report").hidden = false;
  $("report").dataset.committed = String(committed);
  $("report-title").focus();
}

$("csv").addEventListener("change", () => { checked = null; $("commit").disabled = true; });
$("import-form").addEventListener("submit", guarded(async () => {
  checked = null;
  $("commit").disabled = true;
  try {
    const report = await api("POST", "/donations/import/preview", chosenFile());
    showReport(report, false);
    checked = $("csv").files[0];
    $("commit").disabled = report.imported === 0;
    if (report.imported === 0) flash(t.gf_nothing_to_import, "info");
  } catch (error) {
    throw error instanceof ApiError ? new Error(error.status === 413 ? fill(t.gf_too_large, { mb: "10+" }) : reason(error.message)) : error;
  }
}));
$("commit").addEventListener("click", guarded(async () => {
  if (!checked || $("csv").files[0] !== checked) throw new Error(t.gf_check_first);
  $("commit").disabled = true;
  const report = await api("POST", "/donations/import", chosenFile());
  showReport(report, true);
  checked = null;
  flash(fill(t.gf_summary_done, { imported: number(report.imported), duplicates: number(report.duplicates),
    rejected: number(report.rejected) }), "ok");
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/gifts/import`;
    return;
  }
  if (!ACTORS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.gf_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("gift-import").hidden = true;
    return;
  }
  $("gift-import").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
