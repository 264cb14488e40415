// The directory of useful numbers: everybody who takes calls searches it; coordinators add a municipality, rename
// it, add and remove its numbers, and import a CSV after checking it line by line (nothing stored until then).
import { api, el, flash, guarded, lang, me, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const EDITORS = ["coordinator", "administrator"], READERS = [...EDITORS, "volunteer"];
const MAX_BYTES = 5_000_000, SHOWN_LINES = 1000, PAGE = 20;
const category = (key) => t[`cat_${key.replace(/ /g, "_")}`] || key;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
let editor = false, next = null, checked = null, total = 0;

function categorySelect(id) {
  const select = el("select", { id, name: "category" });
  select.append($("category-options").content.cloneNode(true));
  return select;
}

function numberItem(m, n) {
  const item = el("li", { class: "row wrap" },
    el("span", { class: "grow" }, el("strong", {}, category(n.category)), " ", n.display || n.number),
    el("a", { href: `tel:${n.number}`, class: "button tel", "aria-label": `${t.hl_call} ${n.display || n.number}` }, t.hl_call));
  if (editor) {
    const remove = el("button", { type: "button", class: "danger" }, t.dir_remove);
    remove.setAttribute("aria-label", `${t.dir_remove} ${n.display || n.number} (${category(n.category)}) · ${m.name}`);
    remove.addEventListener("click", guarded(async () => {
      if (!confirm(fill(t.dir_confirm_remove, { number: n.display || n.number, category: category(n.category), name: m.name }))) return;
      const changed = await api("POST", `/directory/municipalities/${m.istat_code}/numbers/remove`,
        { category: n.category, number: n.number });
      redraw(changed, `${t.dir_removed}: ${n.display || n.number}`);
    }));
    item.append(remove);
  }
  return item;
}

// One municipality: its numbers (call buttons), and for coordinators an edit panel (name, a number to add).
function entry(m, open = false) {
  const id = `m-${m.istat_code}`;
  const heading = el("h3", { id: `${id}-title`, tabindex: "-1" }, `${m.name} `, el("span", { class: "muted" }, `(${m.istat_code})`));
  const box = el("li", { class: "entry", id, "data-istat": m.istat_code }, heading,
    m.numbers.length ? el("ul", { class: "plain numbers" }, ...m.numbers.map((n) => numberItem(m, n)))
      : el("p", { class: "muted" }, t.dir_no_numbers));
  if (!editor) return box;
  const toggle = el("button", { type: "button", "aria-expanded": String(open), "aria-controls": `${id}-edit` }, t.dir_edit);
  toggle.setAttribute("aria-label", `${t.dir_edit}: ${m.name}`);
  const panel = el("div", { id: `${id}-edit`, class: "edit" });
  panel.hidden = !open;
  toggle.addEventListener("click", () => {
    panel.hidden = !panel.hidden;
    toggle.setAttribute("aria-expanded", String(!panel.hidden));
    toggle.textContent = panel.hidden ? t.dir_edit : t.dir_close;
    if (!panel.hidden) panel.querySelector("input").focus();
  });
  if (open) toggle.textContent = t.dir_close;
  const rename = el("form", { class: "row wrap" },
    el("div", { class: "grow" }, el("label", { for: `${id}-name` }, t.dir_name),
      el("input", { id: `${id}-name`, name: "name", maxlength: "120", required: "", value: m.name, autocomplete: "off" })),
    el("button", { type: "submit" }, t.dir_rename));
  rename.addEventListener("submit", guarded(async () => {
    const changed = await api("POST", `/directory/municipalities/${m.istat_code}/rename`,
      { name: new FormData(rename).get("name").trim() });
    redraw(changed, `${t.dir_renamed}: ${changed.name}`, true);
  }));
  const add = el("form", { class: "row wrap filters" },
    el("div", {}, el("label", { for: `${id}-category` }, t.dir_service), categorySelect(`${id}-category`)),
    el("div", { class: "grow" }, el("label", { for: `${id}-number` }, t.dir_number),
      el("input", { id: `${id}-number`, name: "number", type: "tel", maxlength: "30", required: "", autocomplete: "off" })),
    el("button", { type: "submit" }, t.dir_add_number));
  add.addEventListener("submit", guarded(async () => {
    const form = new FormData(add);
    const changed = await api("POST", `/directory/municipalities/${m.istat_code}/numbers`,
      { category: form.get("category"), number: String(form.get("number")).trim() });
    redraw(changed, `${t.dir_number_added}: ${category(String(form.get("category")))}`, true, `${id}-number`);
  }));
  panel.append(el("p", { class: "small muted" }, t.dir_istat_fixed), rename, add);
  box.append(el("div", { class: "row wrap" }, toggle), panel);
  return box;
}

// The write's answer is the municipality as it is now: shown at once (the search list follows shortly).
function redraw(m, message, open = false, focusId = null) {
  const old = $(`m-${m.istat_code}`);
  const fresh = entry(m, open);
  if (old) {
    old.replaceWith(fresh);
  } else {  // a new municipality: first in the list, and counted
    $("results").prepend(fresh);
    total += 1;
    $("found").textContent = fill(t.dir_found, { n: total });
  }
  flash(message, "ok");
  (focusId ? $(focusId) : $(`m-${m.istat_code}-title`)).focus();
}

async function search(more = false) {
  const query = new URLSearchParams({ q: $("q").value.trim(), limit: String(PAGE), offset: String(more ? next : 0) });
  if ($("service").value) query.set("category", $("service").value);
  const page = await api("GET", `/directory/municipalities?${query}`);
  const items = page.municipalities.map((m) => entry(m));
  if (more) $("results").append(...items);
  else $("results").replaceChildren(...items);
  next = page.next_offset;
  $("more").hidden = next === null;
  total = page.total;
  $("found").textContent = total ? fill(t.dir_found, { n: total }) : t.dir_nothing;
  return page;
}

// Whether the listing shows what the import added: the new municipalities counted, the new numbers listed.
function caughtUp(page, before, report) {
  if (page.total < before + report.municipalities_listed) return false;
  const shown = new Map(page.municipalities.map((m) => [m.istat_code, new Set(m.numbers.map((n) => `${n.category}|${n.number}`))]));
  return report.lines.every((line) => line.outcome !== "imported" || !shown.has(line.istat_code)
    || shown.get(line.istat_code).has(`${line.category}|${line.number}`));
}

// A rejected line's reason in the page's language when this page knows it (the server's own words otherwise);
// the values it quotes (the code, the number, the names) are kept.
const Q = `['"](.*)['"]`;
const REASONS = [
  [new RegExp(`^ISTAT code must be 6 digits, got ${Q}$`), "dir_reason_istat"],
  [new RegExp(`^ISTAT code (\\d+) is ${Q} in the directory, not ${Q}$`), "dir_reason_istat_listed"],
  [new RegExp(`^ISTAT code (\\d+) is ${Q} earlier in the file, not ${Q}$`), "dir_reason_istat_earlier"],
  [/^municipality must be 1 to 120 characters/, "dir_reason_name"],
  [/^category must be 1 to 60 characters/, "dir_reason_category_missing"],
  [new RegExp(`^unknown category ${Q}; `), "dir_reason_category"],
  [/^number must be 1 to 30 characters/, "dir_reason_number_length"],
  [new RegExp(`^number ${Q} is not a valid Italian phone number$`), "dir_reason_number_italian"],
  [new RegExp(`^number ${Q} is not a phone number$`), "dir_reason_number"],
  [/^expected (\d+) columns, got (\d+)$/, "dir_reason_columns"],
];
export function reason(text) {
  if (lang === "en" || !text) return text;
  for (const [pattern, key] of REASONS) {
    const found = pattern.exec(text);
    if (found && t[key]) {
      const categories = Object.keys(t).filter((k) => k.startsWith("cat_")).map((k) => t[k]).join(", ");
      return fill(t[key], { a: found[1], b: found[2], c: found[3], categories });
    }
  }
  return text;
}

function showReport(report, committed) {
  const counts = { imported: 0, unchanged: 0, rejected: 0 };
  for (const line of report.lines) counts[line.outcome] += 1;
  $("report-title").textContent = committed ? t.dir_imported_report : t.dir_preview;
  $("report-summary").textContent = fill(committed ? t.dir_summary_done : t.dir_summary, counts);
  const outcome = (o) => (o === "imported" && !committed ? t.dir_outcome_to_import : t[`dir_outcome_${o}`]);
  $("report-lines").tBodies[0].replaceChildren(...report.lines.slice(0, SHOWN_LINES).map((line) =>
    el("tr", { class: line.outcome },
      el("th", { scope: "row", class: "num", "data-label": t.dir_line }, line.line),
      el("td", {}, el("span", { class: `badge ${line.outcome}` }, outcome(line.outcome))),
      el("td", { "data-label": t.hl_municipality }, line.municipality ? `${line.municipality} (${line.istat_code})` : ""),
      el("td", { "data-label": t.dir_service }, line.category ? category(line.category) : ""),
      el("td", { "data-label": t.dir_number }, line.number), el("td", { class: "reason" }, reason(line.reason)))));
  $("report-cut").hidden = report.lines.length <= SHOWN_LINES;
  $("report-cut").textContent = fill(t.dir_lines_shown, { n: SHOWN_LINES });
  $("report").hidden = false;
  $("report-title").focus();
}

function chosenFile() {
  const file = $("csv").files[0];
  if (!file) throw new Error(t.dir_choose_file);
  if (file.size > MAX_BYTES) throw new Error(t.dir_too_large);
  const body = new FormData();
  body.append("file", file, file.name);
  return body;
}

$("search-form").addEventListener("submit", guarded(() => search()));
$("more").addEventListener("click", guarded(async () => {
  const shown = $("results").children.length;
  await search(true);
  const first = $("results").children[shown];
  if (first) first.querySelector("h3").focus();
}));
$("new-form").addEventListener("submit", guarded(async (event) => {
  const form = new FormData(event.target);
  const istat = String(form.get("istat_code")).trim(), name = String(form.get("name")).trim();
  const number = String(form.get("number")).trim();
  if (!/^\d{6}$/.test(istat)) { $("new-istat").focus(); throw new Error(t.dir_istat); }
  if (!name) { $("new-name").focus(); throw new Error(t.dir_name); }
  const created = await api("POST", "/directory/municipalities",
    { istat_code: istat, name, numbers: number ? [{ category: form.get("category"), number }] : [] });
  event.target.reset();
  redraw(created, `${t.dir_created}: ${created.name} (${created.istat_code})`);
}));
$("csv").addEventListener("change", () => { checked = null; $("commit").disabled = true; });
$("import-form").addEventListener("submit", guarded(async () => {
  checked = null;
  $("commit").disabled = true;
  const report = await api("POST", "/directory/imports/preview", chosenFile());
  showReport(report, false);
  checked = $("csv").files[0];
  $("commit").disabled = !report.lines.some((line) => line.outcome === "imported");
}));
$("commit").addEventListener("click", guarded(async () => {
  if (!checked || $("csv").files[0] !== checked) throw new Error(t.dir_choose_file);
  $("commit").disabled = true;
  const before = (await api("GET", "/directory/municipalities?limit=1")).total;
  const report = await api("POST", "/directory/imports", chosenFile());
  showReport(report, true);
  checked = null;
  flash(`${t.dir_imported_report}: ${report.numbers_added}`, "ok");
  for (let i = 0; i < 10; i += 1) {  // the listing is a read model: it catches up in a moment
    await new Promise((resolve) => setTimeout(resolve, 300));
    if (caughtUp(await search(), $("q").value.trim() || $("service").value ? -Infinity : before, report)) break;
  }
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/directory`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.dir_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("directory").hidden = true;
    return;
  }
  editor = EDITORS.includes(who.role);
  for (const section of document.querySelectorAll(".editor-only")) section.hidden = !editor;
  $("read-only").hidden = editor;
  await search();
  $("directory").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
