// E-mail templates: the list, a new template, the editor (subject, HTML and text parts) with a live preview merged
// with a real person's data or sample data, and publish; errors are shown next to the field they are about. The
// preview's HTML is shown in a sandboxed frame (srcdoc, no scripts, no same origin), never put into this page.
import { api, ApiError, day, el, flash, guarded, lang, me, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const WRITERS = ["administrator", "campaign_manager"], READERS = [...WRITERS, "coordinator", "auditor"];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PARTS = { subject: "subject", "HTML part": "html", "text part": "text" };
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
let writer = false, current = null, timer = null, asked = 0;

// --- errors next to their field -------------------------------------------------------------------------------
function showError(id, message) {
  const box = $(`${id}-error`), field = $(id);
  box.textContent = message;
  box.hidden = !message;
  if (field && field.tagName !== "P") {
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
}

function clearErrors(...ids) {
  for (const id of ids) showError(id, "");
}

// A server's words (English) in the page's language where this page knows them; the values quoted are kept.
const PIECES = { "{{ charity.address }}": () => t.ml_piece_address, "{{ unsubscribe_url }}": () => t.ml_piece_unsubscribe };
function said(detail) {
  if (lang === "en") return detail;
  let found = /has a syntax error on line (\d+): (.*)$/.exec(detail);
  if (found) return fill(t.ml_err_syntax, { line: found[1], what: found[2] });
  found = /^the subject must be 1 to (\d+) characters on one line, got (\d+)/.exec(detail);
  if (found) return fill(t.ml_err_subject, { max: found[1], n: found[2] });
  found = /lacks (.*)$/.exec(detail);
  if (found) return fill(t.ml_err_lacks, { what: found[1].split(" and ").map((p) => p.replace(/ \(.*\)$/, ""))
    .map((p) => `${p} (${(PIECES[p] || (() => p))()})`).join(", ") });
  found = /must not be empty$/.exec(detail);
  if (found) return t.ml_err_empty;
  return detail;
}

// Which fields a template error is about: each "the HTML part …" clause goes under its field.
function placeErrors(detail, fallback) {
  const clauses = detail.includes(": the ") && /lacks/.test(detail) ? detail.split(/: (?=the )|; (?=the )/).slice(1) : [detail];
  let placed = false;
  for (const clause of clauses) {
    const match = /^the (subject|HTML part|text part)\b/.exec(clause);
    if (match) {
      showError(PARTS[match[1]], said(clause));
      placed = true;
    }
  }
  if (!placed) showError(fallback, said(detail));
}

// --- the list --------------------------------------------------------------------------------------------------
async function loadList(selected = null) {
  const templates = await api("GET", "/mail/templates");
  $("none").hidden = templates.length > 0;
  $("templates").replaceChildren(...templates.map((s) => {
    const button = el("button", { type: "button", class: "link", "data-id": s.id }, s.name);
    if (s.id === selected) button.setAttribute("aria-current", "true");
    button.addEventListener("click", guarded(() => open(s.id, true)));
    return el("li", { class: s.retired ? "retired" : "" }, button, " ",
      el("span", { class: `badge ${s.kind}` }, t[`ml_kind_${s.kind}`]), " ",
      el("span", { class: "small muted" }, fill(s.versions === 1 ? t.ml_one_version : t.ml_versions, { n: s.versions })),
      s.retired ? el("span", { class: "badge closed" }, t.ml_retired) : "");
  }));
  return templates;
}

// --- the editor ------------------------------------------------------------------------------------------------
function starter(kind) {
  return kind === "marketing"
    ? { subject: "", html: t.ml_starter_html + t.ml_starter_html_unsubscribe, text: t.ml_starter_text + t.ml_starter_text_unsubscribe }
    : { subject: "", html: t.ml_starter_html, text: t.ml_starter_text };
}

function showVersion(number) {
  const version = current.versions.find((v) => v.number === number);
  // A draft starts from a skeleton with the pieces its kind requires; a reader sees only what was published.
  const content = version || (writer && !current.retired ? starter(current.kind) : { subject: "", html: "", text: "" });
  $("subject").value = content.subject;
  $("html").value = content.html;
  $("text").value = content.text;
  clearErrors("subject", "html", "text");
}

async function open(id, focus = false, number = null) {
  current = await api("GET", `/mail/templates/${id}`);
  for (const button of $("templates").querySelectorAll("button[data-id]")) {
    if (button.dataset.id === id) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const latest = current.versions.length ? current.versions[current.versions.length - 1] : null;
  $("editor-title").textContent = current.name;
  $("editor-state").textContent = [t[`ml_kind_${current.kind}`],
    latest ? fill(t.ml_latest, { n: latest.number, day: day(latest.published_at), by: latest.published_by }) : t.ml_no_version,
    current.retired ? `${t.ml_retired} ${day(current.retired_at)}` : ""].filter(Boolean).join(" · ");
  $("version").replaceChildren(
    ...(writer && !current.retired ? [el("option", { value: "" }, latest ? t.ml_next_draft : t.ml_first_draft)] : []),
    ...[...current.versions].reverse().map((v) => el("option", { value: String(v.number) },
      fill(t.ml_version_n, { n: v.number, day: day(v.published_at) }))));
  const shown = number ?? (latest ? latest.number : null);
  $("version").value = shown === null ? "" : String(shown);
  showVersion(shown);
  $("rename-name").value = current.name;
  clearErrors("rename-name", "person");
  const editable = writer && !current.retired;
  for (const id of ["subject", "html", "text"]) $(id).readOnly = !editable;
  for (const node of $("editor").querySelectorAll(".writer-only")) node.hidden = !editable;
  $("preview").hidden = !editable;
  $("editor").hidden = false;
  if (editable) schedulePreview(0);
  if (focus) $("editor-title").focus();
}

function draft() {
  return { subject: $("subject").value, html: $("html").value, text: $("text").value };
}

// --- the live preview ------------------------------------------------------------------------------------------
function schedulePreview(delay = 600) {
  clearTimeout(timer);
  timer = setTimeout(() => preview().catch((error) => flash(error.message, "error")), delay);
}

async function preview() {
  if (!current || !writer || current.retired) return;
  const person = $("person").value.trim();
  clearErrors("subject", "html", "text", "person");
  if (person && !UUID_RE.test(person)) {
    showError("person", t.ml_person_invalid);
    return;
  }
  const mine = ++asked;  // an older answer arriving late must not replace a newer one
  if (!$("subject").value.trim()) {  // a new draft: nothing to preview yet, and no error before anything is typed
    $("preview-state").textContent = t.ml_preview_needs_subject;
    return;
  }
  $("preview-state").textContent = t.ml_previewing;
  const body = { ...draft(), campaign: $("campaign").value.trim(), ...(person ? { person_id: person } : {}) };
  try {
    const shown = await api("POST", `/mail/templates/${current.id}/preview`, body);
    if (mine !== asked) return;
    $("preview-subject").textContent = shown.subject;
    $("preview-fields").textContent = shown.fields.join(", ") || "—";
    $("preview-missing").textContent = shown.missing.join(", ");
    $("preview-missing-box").hidden = shown.missing.length === 0;
    $("preview-html").setAttribute("srcdoc", shown.html);
    $("preview-text").textContent = shown.text;
    $("preview-problem").textContent = shown.problem ? `${t.ml_not_publishable}: ${said(shown.problem)}` : "";
    $("preview-problem").hidden = !shown.problem;
    if (shown.problem) placeErrors(shown.problem, "html");
    $("preview-state").textContent = shown.person_id ? t.ml_previewed_person : t.ml_previewed_sample;
    $("preview").dataset.ready = "yes";
  } catch (error) {
    if (mine !== asked) return;
    $("preview-state").textContent = t.ml_preview_failed;
    if (!(error instanceof ApiError)) throw error;
    if (error.status === 404 && person || error.status === 410) showError("person", error.status === 410 ? t.ml_person_erased : t.ml_person_unknown);
    else if (error.status === 422) placeMissingOrError(error.message);
    else throw error;
  }
}

// A 422 of the preview: a merge field the record lacks (the page names it), or a part that does not parse.
function placeMissingOrError(detail) {
  const missing = /^the (subject|HTML part|text part) uses the merge field '([^']+)'/.exec(detail);
  if (missing) showError(PARTS[missing[1]], fill(t.ml_err_missing_field, { field: missing[2] }));
  else placeErrors(detail, "html");
}

// --- actions ---------------------------------------------------------------------------------------------------
async function publish() {
  clearErrors("subject", "html", "text");
  if (!$("subject").value.trim()) {
    showError("subject", t.ml_subject_required);
    $("subject").focus();
    return;
  }
  try {
    const changed = await api("POST", `/mail/templates/${current.id}/versions`, draft());
    const number = changed.versions[changed.versions.length - 1].number;
    await loadList(current.id);
    await open(current.id, false, number);
    flash(fill(t.ml_published, { n: number, name: changed.name }), "ok");
    $("editor-title").focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      placeErrors(error.message, "html");
      const first = document.querySelector("#draft-form [aria-invalid=true]");
      if (first) first.focus();
      flash(t.ml_not_published, "error");
    } else {
      throw error;
    }
  }
}

async function create(event) {
  clearErrors("new-name");
  const form = new FormData(event.target);
  const name = String(form.get("name")).trim();
  if (!name) {
    showError("new-name", t.ml_name_required);
    $("new-name").focus();
    return;
  }
  try {
    const created = await api("POST", "/mail/templates", { name, kind: form.get("kind") });
    event.target.reset();
    await loadList(created.id);
    await open(created.id, false);
    flash(fill(t.ml_created, { name: created.name }), "ok");
    $("subject").focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) {
      showError("new-name", error.message);
      $("new-name").focus();
    } else {
      throw error;
    }
  }
}

async function rename(event) {
  clearErrors("rename-name");
  const name = String(new FormData(event.target).get("name")).trim();
  if (!name) {
    showError("rename-name", t.ml_name_required);
    return;
  }
  try {
    const changed = await api("POST", `/mail/templates/${current.id}/rename`, { name });
    await loadList(current.id);
    await open(current.id, false, Number($("version").value) || null);
    flash(fill(t.ml_renamed, { name: changed.name }), "ok");
  } catch (error) {
    if (error instanceof ApiError && error.status === 422) showError("rename-name", error.message);
    else throw error;
  }
}

async function retire() {
  if (!confirm(fill(t.ml_confirm_retire, { name: current.name }))) return;
  await api("POST", `/mail/templates/${current.id}/retire`, {});
  await loadList(current.id);
  await open(current.id, true);
  flash(fill(t.ml_retired_done, { name: current.name }), "ok");
}

// --- the campaigns' mailings (the lead's routes): each linked to its progress page -------------------------------
async function loadMailings(templates) {
  let mailings;
  try {
    mailings = await api("GET", "/mail/mailings");
  } catch (error) {  // not offered to this role (auditors): no section
    return;
  }
  $("mailings-none").hidden = mailings.length > 0;
  $("mailings").replaceChildren(...mailings.map((m) => el("li", {},
    el("a", { href: `/console/mail/mailings/${m.id}?lang=${lang}` }, m.name), " ",
    el("span", { class: "small muted" }, `${m.campaign_name} · ${t[`ml_status_${m.status}`] || m.status}`))));
  $("mailings-card").hidden = false;
  if (!writer) return;
  // A mailing needs a campaign and a published marketing template that is not retired.
  const campaigns = await api("GET", "/campaigns");
  $("mailing-campaign").replaceChildren(el("option", { value: "" }, t.ml_choose),
    ...campaigns.map((c) => el("option", { value: c.id }, c.name)));
  $("mailing-template").replaceChildren(el("option", { value: "" }, t.ml_choose),
    ...templates.filter((s) => s.kind === "marketing" && s.versions > 0 && !s.retired)
      .map((s) => el("option", { value: s.id }, s.name)));
  $("mailing-form").hidden = false;
}

async function createMailing(event) {
  clearErrors("mailing-campaign", "mailing-template", "mailing-name");
  const form = new FormData(event.target);
  const body = { campaign_id: form.get("campaign_id"), template_id: form.get("template_id"),
    name: String(form.get("name")).trim() };
  const empty = [["mailing-campaign", !body.campaign_id, t.ml_choose_campaign],
    ["mailing-template", !body.template_id, t.ml_choose_template], ["mailing-name", !body.name, t.ml_name_required]]
    .filter(([, missing]) => missing);
  for (const [id, , message] of empty) showError(id, message);
  if (empty.length) {
    $(empty[0][0]).focus();
    return;
  }
  try {
    const created = await api("POST", "/mail/mailings", body);
    location.href = `/console/mail/mailings/${created.id}?lang=${lang}`;
  } catch (error) {
    if (!(error instanceof ApiError) || ![404, 422].includes(error.status)) throw error;
    const field = /campaign/i.test(error.message) ? "mailing-campaign"
      : /name/.test(error.message) ? "mailing-name" : "mailing-template";
    showError(field, error.message);
    $(field).focus();
  }
}

$("new-form").addEventListener("submit", guarded(create));
$("mailing-form").addEventListener("submit", guarded(createMailing));
$("rename-form").addEventListener("submit", guarded(rename));
$("retire").addEventListener("click", guarded(retire));
$("draft-form").addEventListener("submit", guarded(publish));
$("preview-now").addEventListener("click", guarded(() => preview()));
$("version").addEventListener("change", () => {
  showVersion($("version").value ? Number($("version").value) : null);
  schedulePreview(0);
});
for (const id of ["subject", "html", "text", "person", "campaign"]) {
  $(id).addEventListener("input", () => schedulePreview());
}

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/mail`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.ml_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("mail").hidden = true;
    return;
  }
  writer = WRITERS.includes(who.role);
  $("new-form").hidden = !writer;
  $("read-only").hidden = writer;
  const templates = await loadList();
  const wanted = new URLSearchParams(location.search).get("template");
  const first = templates.find((s) => s.id === wanted) || templates.find((s) => !s.retired);
  if (first) await open(first.id);
  await loadMailings(templates);
  $("mail").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
