// The protocol editor: read published versions (read-only), draft the next version or a new protocol (steps,
// choices, redirect rules to directory categories), preview it as the volunteer will see it, publish it.
import { api, el, flash, guarded, t } from "./common.js";

const $ = (id) => document.getElementById(id);
const category = (name) => t[`cat_${name.replace(/ /g, "_")}`] || name;
let protocols = [], editing = null;  // editing: the protocol whose next version is drafted; null for a new one
let serial = 0;

function stepsView(steps) {
  return el("ol", { class: "steps-read" }, ...steps.map((s) => el("li", {},
    el("strong", {}, s.question), ` (${s.key})`,
    s.choices.length ? el("p", { class: "small" }, `${t.pr_choices}: ${s.choices.join(" · ")}`)
      : el("p", { class: "small muted" }, t.pr_free_text),
    s.redirect_to ? el("p", { class: "small" }, `${t.pr_redirect_rule}: «${s.redirect_when}» → ${category(s.redirect_to)}`) : "")));
}

async function showVersion() {
  const id = $("pick").value, version = $("version").value;
  if (!id) {
    $("published").replaceChildren(el("p", { class: "muted" }, t.hl_no_protocol));
    return;
  }
  const shown = await api("GET", `/protocols/${id}?version=${version}`);
  $("published").replaceChildren(el("h3", {}, `${shown.name} · ${t.hl_version} ${shown.version} (${t.pr_read_only})`),
    stepsView(shown.steps));
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
  const when = el("input", { name: "redirect_when", maxlength: "200", value: step.redirect_when || "" });
  const to = el("input", { name: "redirect_to", maxlength: "60", list: "categories", value: step.redirect_to || "" });
  const up = el("button", { type: "button" }, t.pr_move_up);
  const remove = el("button", { type: "button", class: "danger" }, t.pr_remove_step);
  up.addEventListener("click", () => { if (item.previousElementSibling) item.previousElementSibling.before(item); up.focus(); });
  remove.addEventListener("click", () => { item.remove(); $("add-step").focus(); });
  item.append(
    el("div", { class: "row wrap" }, field(t.pr_key, key, t.pr_key_help), field(t.pr_question, question)),
    field(t.pr_choices, choices, t.pr_choices_help),
    el("div", { class: "row wrap" }, field(t.pr_redirect_when, when), field(t.pr_redirect_to, to)),
    el("div", { class: "row wrap" }, up, remove));
  return item;
}

function draftSteps() {
  return [...$("steps").children].map((item) => {
    const value = (name) => item.querySelector(`[name=${name}]`).value.trim();
    const when = value("redirect_when"), to = value("redirect_to").toLowerCase();
    return { key: value("key"), question: value("question"),
      choices: value("choices").split("\n").map((c) => c.trim()).filter(Boolean),
      redirect_when: when || null, redirect_to: to || null };
  });
}

function openDraft(title, steps, isNew) {
  $("draft-title").textContent = title;
  $("name-box").hidden = !isNew;
  $("name").value = "";
  $("steps").replaceChildren(...(steps.length ? steps : [undefined]).map((s) => stepEditor(s)));
  $("draft").hidden = false;
  $("preview").hidden = true;
  $("draft-title").focus();
}

$("pick").addEventListener("change", guarded(async () => { fillVersions(); await showVersion(); }));
$("version").addEventListener("change", guarded(showVersion));
$("draft-next").addEventListener("click", guarded(async () => {
  const p = protocols.find((x) => x.id === $("pick").value);
  const latest = await api("GET", `/protocols/${p.id}`);
  editing = p;
  openDraft(`${t.pr_draft_of} ${p.name} · ${t.hl_version} ${p.latest_version + 1}`, latest.steps, false);
}));
$("draft-new").addEventListener("click", () => {
  editing = null;
  openDraft(t.pr_draft_new, [], true);
  $("name").focus();
});
$("add-step").addEventListener("click", () => {
  const item = stepEditor();
  $("steps").append(item);
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
$("draft").addEventListener("submit", guarded(async () => {
  const steps = draftSteps();
  const published = editing
    ? await api("POST", `/protocols/${editing.id}/versions`, { steps })
    : await api("POST", "/protocols", { name: $("name").value.trim(), steps });
  flash(`${t.pr_published}: ${published.name} · ${t.hl_version} ${published.version}`, "ok");
  $("draft").hidden = true;
  $("preview").hidden = true;
  await loadProtocols(published.id);
  $("pick").focus();
}));

loadProtocols().then(() => { document.body.dataset.ready = "yes"; }).catch((error) => flash(error.message, "error"));
