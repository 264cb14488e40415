// The protocol editor: read published versions (read-only); write the next version as a draft kept on the server
// (steps, choices, redirect rules to directory categories), shared by every editor and saved over the revision
// loaded (a newer one is never overwritten); preview it as the volunteer will see it; discard or publish it.
// A new protocol is written here and created when its first version is published.
import { ApiError, api, el, flash, guarded, locale, me, t, ZONE } from "./common.js";

const $ = (id) => document.getElementById(id);
const category = (name) => t[`cat_${name.replace(/ /g, "_")}`] || name;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const when = (iso) => new Date(iso).toLocaleString(locale, { dateStyle: "medium", timeStyle: "short", timeZone: ZONE });
const person = (by) => by.replace(/^[a-z_]+:/, "");  // "account:anna@…" → "anna@…"
const EDITORS = ["coordinator", "administrator"];
let protocols = [], editing = null;  // editing: the protocol whose next version is drafted; null for a new one
let loaded = null, dirty = false, saved = "";  // the draft revision loaded (null: not saved yet) and its state
let canEdit = false, serial = 0;

function stepsView(steps) {
  return el("ol", { class: "steps-read" }, ...steps.map((s) => el("li", {},
    el("strong", {}, s.question), ` (${s.key})`,
    s.choices.length ? el("p", { class: "small" }, `${t.pr_choices}: ${s.choices.join(" · ")}`)
      : el("p", { class: "small muted" }, t.pr_free_text),
    s.redirect_to ? el("p", { class: "small" }, `${t.pr_redirect_rule}: «${s.redirect_when}» → ${category(s.redirect_to)}`) : "")));
}

const savedText = (d) => fill(t.pr_draft_saved, { at: when(d.saved_at), by: person(d.saved_by), revision: d.revision });

async function showVersion() {
  const id = $("pick").value, version = $("version").value;
  if (!id) {
    $("published").replaceChildren(el("p", { class: "muted" }, t.hl_no_protocol));
    $("draft-status").hidden = true;
    return;
  }
  const shown = await api("GET", `/protocols/${id}?version=${version}`);
  $("published").replaceChildren(el("h3", {}, `${shown.name} · ${t.hl_version} ${shown.version} (${t.pr_read_only})`),
    stepsView(shown.steps));
  if (!canEdit) return;
  const draft = await api("GET", `/protocols/${id}/draft`);
  $("draft-status").textContent = draft ? fill(t.pr_draft_in_progress,
    { version: draft.latest_version + 1, at: when(draft.saved_at), by: person(draft.saved_by) }) : t.pr_no_draft;
  $("draft-status").hidden = false;
  $("draft-next").textContent = draft ? t.pr_open_draft : t.pr_draft_next;
}

function fillVersions() {
  const p = protocols.find((x) => x.id === $("pick").value);
  $("version").replaceChildren(...(p ? [...p.versions].reverse() : []).map((v) => el("option", { value: v }, `v${v}`)));
}

async function loadProtocols(selected) {
  protocols = await api("GET", "/protocols");
  $("pick").replaceChildren(...protocols.map((p) => el("option", { value: p.id }, p.name)));
  if (selected) $("pick").value = selected;
  $("draft-next").disabled = !protocols.length;
  fillVersions();
  await showVersion();
}

function field(label, input, help) {
  const id = `f${serial += 1}`;
  input.id = id;
  return el("div", { class: "grow" }, el("label", { for: id }, label), input, ...(help ? [el("p", { class: "muted small" }, help)] : []));
}

function stepEditor(step = { key: "", question: "", choices: [], redirect_when: null, redirect_to: null }) {
  const item = el("li", { class: "step-edit card" });
  const key = el("input", { name: "key", maxlength: "40", value: step.key, autocomplete: "off" });
  const question = el("textarea", { name: "question", rows: "2", maxlength: "1000" });
  question.value = step.question;
  const choices = el("textarea", { name: "choices", rows: "3" });
  choices.value = step.choices.join("\n");
  const answer = el("input", { name: "redirect_when", maxlength: "200", value: step.redirect_when || "" });
  const to = el("input", { name: "redirect_to", maxlength: "60", list: "categories", value: step.redirect_to || "" });
  const up = el("button", { type: "button" }, t.pr_move_up);
  const remove = el("button", { type: "button", class: "danger" }, t.pr_remove_step);
  up.addEventListener("click", () => {
    if (item.previousElementSibling) item.previousElementSibling.before(item);
    changed();
    up.focus();
  });
  remove.addEventListener("click", () => { item.remove(); changed(); $("add-step").focus(); });
  item.append(
    el("div", { class: "row wrap" }, field(t.pr_key, key, t.pr_key_help), field(t.pr_question, question)),
    field(t.pr_choices, choices, t.pr_choices_help),
    el("div", { class: "row wrap" }, field(t.pr_redirect_when, answer), field(t.pr_redirect_to, to)),
    el("div", { class: "row wrap" }, up, remove));
  return item;
}

function draftSteps() {
  return [...$("steps").children].map((item) => {
    const value = (name) => item.querySelector(`[name=${name}]`).value.trim();
    const answer = value("redirect_when"), to = value("redirect_to").toLowerCase();
    return { key: value("key"), question: value("question"),
      choices: value("choices").split("\n").map((c) => c.trim()).filter(Boolean),
      redirect_when: answer || null, redirect_to: to || null };
  });
}

function changed() {
  dirty = true;
  if (editing) $("draft-state").textContent = `${t.pr_unsaved} ${saved}`.trim();
}

// Open the draft form: the steps of a saved draft (`draft`), or of the latest version for a draft not saved yet.
function openDraft(title, steps, isNew, draft = null) {
  loaded = draft ? draft.revision : null;
  dirty = false;
  saved = draft ? savedText(draft) : "";
  const older = draft && draft.latest_version > draft.based_on
    ? ` ${fill(t.pr_based_on_old, { latest: draft.latest_version, based_on: draft.based_on })}` : "";
  $("draft-title").textContent = title;
  $("draft-state").textContent = isNew ? "" : (draft ? saved + older : t.pr_new_draft);
  $("conflict").hidden = true;
  $("name-box").hidden = !isNew;
  $("save-draft").hidden = isNew;  // a new protocol exists once its first version is published
  $("new-help").hidden = !isNew;
  $("draft-help").hidden = isNew;
  $("name").value = "";
  $("steps").replaceChildren(...(steps.length ? steps : [undefined]).map((s) => stepEditor(s)));
  $("draft").hidden = false;
  $("preview").hidden = true;
  $("draft-title").focus();
}

function closeDraft() {
  $("draft").hidden = true;
  $("preview").hidden = true;
  editing = null;
  loaded = null;
  dirty = false;
}

const titleOf = (p) => `${t.pr_draft_of} ${p.name} · ${t.hl_version} ${p.latest_version + 1}`;

async function openSaved() {
  const draft = await api("GET", `/protocols/${editing.id}/draft`);
  if (draft) openDraft(titleOf(editing), draft.steps, false, draft);
  else openDraft(titleOf(editing), (await api("GET", `/protocols/${editing.id}`)).steps, false);
}

// Someone saved, discarded or published the draft since it was loaded: say so, keep this editor's text on the
// page (nothing of it was stored), and offer the saved draft or a fresh start.
async function showConflict() {
  const draft = await api("GET", `/protocols/${editing.id}/draft`);
  $("conflict-text").textContent = draft ? fill(t.pr_conflict, { state: savedText(draft) }) : t.pr_conflict_gone;
  $("load-saved").hidden = !draft;
  $("start-over").hidden = !!draft;
  $("flash").hidden = true;
  $("conflict").hidden = false;
  (draft ? $("load-saved") : $("start-over")).focus();
  await showVersion();  // the published card's line about the draft, as it is now
}

// Save the draft over the revision loaded; false when it changed since (the conflict is shown).
async function save() {
  try {
    const draft = await api("PUT", `/protocols/${editing.id}/draft`, { revision: loaded, steps: draftSteps() });
    loaded = draft.revision;
    dirty = false;
    saved = savedText(draft);
    $("draft-state").textContent = saved;
    $("conflict").hidden = true;
    return true;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    await showConflict();
    return false;
  }
}

$("pick").addEventListener("change", guarded(async () => { fillVersions(); await showVersion(); }));
$("version").addEventListener("change", guarded(showVersion));
$("draft-next").addEventListener("click", guarded(async () => {
  editing = protocols.find((x) => x.id === $("pick").value);
  await openSaved();
}));
$("draft-new").addEventListener("click", () => {
  editing = null;
  openDraft(t.pr_draft_new, [], true);
  $("name").focus();
});
$("steps").addEventListener("input", changed);
$("name").addEventListener("input", changed);
window.addEventListener("beforeunload", (event) => { if (dirty) event.preventDefault(); });  // the browser asks
$("add-step").addEventListener("click", () => {
  const item = stepEditor();
  $("steps").append(item);
  changed();
  item.querySelector("input").focus();
});
$("preview-button").addEventListener("click", () => {
  $("flash").hidden = true;  // an earlier refusal is about the draft as it was
  const steps = draftSteps();
  $("preview-steps").replaceChildren(...steps.map((s, i) => el("div", { class: "step" },
    el("p", { class: "script" }, `${i + 1}/${steps.length} · ${s.question}`),
    s.choices.length ? el("div", { class: "dispositions" }, ...s.choices.map((c) => el("button", { type: "button", disabled: "" }, c)))
      : el("p", { class: "muted small" }, t.pr_free_text),
    s.redirect_to ? el("p", { class: "small" }, `${t.pr_redirect_rule}: «${s.redirect_when}» → ${category(s.redirect_to)}`) : "")));
  $("preview").hidden = false;
  $("preview-title").focus();
});
$("save-draft").addEventListener("click", guarded(async () => {
  if (await save()) {
    flash(t.pr_saved_ok, "ok");
    await showVersion();
  }
}));
$("discard-draft").addEventListener("click", guarded(async () => {
  if (editing && loaded !== null) {
    if (!window.confirm(t.pr_discard_confirm)) return;
    try {
      await api("DELETE", `/protocols/${editing.id}/draft?revision=${loaded}`);
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      await showConflict();
      return;
    }
  }
  const chosen = editing ? editing.id : undefined;
  closeDraft();
  flash(t.pr_discarded, "ok");
  await loadProtocols(chosen);
  $("pick").focus();
}));
$("load-saved").addEventListener("click", guarded(openSaved));
$("start-over").addEventListener("click", guarded(openSaved));
$("draft").addEventListener("submit", guarded(async () => {
  let published;
  if (editing) {
    if ((dirty || loaded === null) && !(await save())) return;
    try {
      published = await api("POST", `/protocols/${editing.id}/draft/publish`, { revision: loaded });
    } catch (error) {
      if (!(error instanceof ApiError) || error.status !== 409) throw error;
      await showConflict();
      return;
    }
  } else {
    published = await api("POST", "/protocols", { name: $("name").value.trim(), steps: draftSteps() });
  }
  flash(`${t.pr_published}: ${published.name} · ${t.hl_version} ${published.version}`, "ok");
  closeDraft();
  await loadProtocols(published.id);
  $("pick").focus();
}));

async function start() {
  const who = await me();
  canEdit = !!who && EDITORS.includes(who.role);
  $("draft-buttons").hidden = !canEdit;
  $("editor-only").hidden = canEdit || !who;
  await loadProtocols();
  document.body.dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
