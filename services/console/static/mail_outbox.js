// The local outbox (an installation with no relay): the newest messages, and one message shown whole. Its HTML part
// goes into a sandboxed frame's srcdoc (no scripts, no same origin, no forms), never into this page.
import { api, ApiError, el, flash, guarded, lang, locale, me, number, t, ZONE } from "./common.js";

const $ = (id) => document.getElementById(id);
const READERS = ["administrator", "campaign_manager"];
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
const when = (iso) => new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone: ZONE })
  .format(new Date(iso));

function size(bytes) {
  return bytes < 1024 ? `${number(bytes)} B` : `${number(bytes / 1024, 1)} KB`;
}

async function loadList(chosen = null) {
  let letters;
  try {
    letters = await api("GET", "/mail/outbox");
  } catch (error) {
    if (error instanceof ApiError && error.status === 409) {  // a relay is configured: no outbox to show
      $("relay").textContent = `${t.ml_relay_configured} (${error.message})`;
      $("relay").hidden = false;
      $("none").hidden = true;
      return [];
    }
    throw error;
  }
  $("none").hidden = letters.length > 0;
  $("letters").tBodies[0].replaceChildren(...letters.map((x) => {
    const button = el("button", { type: "button", class: "link", "data-name": x.name }, x.subject || t.ml_no_subject);
    if (x.name === chosen) button.setAttribute("aria-current", "true");
    button.addEventListener("click", guarded(() => show(x.name)));
    return el("tr", {},
      el("td", { "data-label": t.ml_when }, when(x.at)),
      el("td", { "data-label": t.ml_from }, x.sender),
      el("td", { "data-label": t.ml_to }, x.to),
      el("td", { "data-label": t.ml_subject }, button),
      el("td", { class: "num", "data-label": t.ml_size }, size(x.size)));
  }));
  return letters;
}

async function show(name, focus = true) {
  const letter = await api("GET", `/mail/outbox/${encodeURIComponent(name)}`);
  for (const button of $("letters").querySelectorAll("button[data-name]")) {
    if (button.dataset.name === name) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const header = (key) => (letter.headers.find(([k]) => k.toLowerCase() === key) || [null, ""])[1];
  $("letter-title").textContent = header("subject") || t.ml_no_subject;
  const facts = [[t.ml_from, header("from")], [t.ml_to, header("to")], [t.ml_when, when(letter.at)],
    [t.ml_size, size(letter.size)], [t.ml_return_path, header("return-path")]];
  if (header("list-unsubscribe")) facts.push([t.ml_unsubscribe_header, header("list-unsubscribe")]);
  $("letter-head").replaceChildren(...facts.map(([term, value], i) =>
    el("div", { class: i >= 4 ? "wide" : "" }, el("dt", {}, term), el("dd", {}, value))));
  $("letter-html").hidden = letter.html === null;
  $("no-html").hidden = letter.html !== null;
  $("letter-html").setAttribute("srcdoc", letter.html ?? "");
  $("letter-text").hidden = letter.text === null;
  $("no-text").hidden = letter.text !== null;
  $("letter-text").textContent = letter.text ?? "";
  $("no-attachments").hidden = letter.attachments.length > 0;
  $("letter-attachments").replaceChildren(...letter.attachments.map((a) =>
    el("li", {}, `${a.filename || t.ml_unnamed} · ${a.content_type} · ${size(a.size)}`)));
  $("letter-headers").tBodies[0].replaceChildren(...letter.headers.map(([key, value]) =>
    el("tr", {}, el("th", { scope: "row" }, key), el("td", {}, el("code", {}, value)))));
  $("letter").hidden = false;
  $("letter").dataset.name = name;
  history.replaceState(null, "", `?lang=${lang}&letter=${encodeURIComponent(name)}`);
  if (focus) $("letter-title").focus();
}

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/mail/outbox`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.ml_outbox_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("outbox").hidden = true;
    return;
  }
  const wanted = new URLSearchParams(location.search).get("letter");
  const letters = await loadList(wanted);
  const first = letters.find((x) => x.name === wanted) || letters[0];
  if (first) await show(first.name, false);
  $("outbox").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
