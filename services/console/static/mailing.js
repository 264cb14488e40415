// A mailing's progress: its counts as the throttled send goes on (read again every few seconds while it sends), the
// relay's state when it waits for it, a preview with a real member of the campaign, and the test send and the send.
import { api, ApiError, el, flash, guarded, lang, locale, me, number, t, ZONE } from "./common.js";

const $ = (id) => document.getElementById(id);
const WRITERS = ["administrator", "campaign_manager"], READERS = [...WRITERS, "coordinator"];
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const COUNTS = ["audience", "queued", "accepted", "refused", "bounced", "unsubscribed", "skipped", "pledged"];
const EXCLUDED = ["no_consent", "unsubscribed", "on_hold", "no_address", "erased"];
const REFRESH_MS = 3000;
const id = $("mailing").dataset.mailing;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");
const when = (iso) => new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: ZONE })
  .format(new Date(iso));
let timer = null, writer = false;

function figures(list, values, prefix) {
  return list.map((key) => el("div", {}, el("dt", {}, t[`${prefix}${key}`] || key),
    el("dd", { id: `${prefix}${key}` }, number(values[key] ?? 0))));
}

function draw(m) {
  $("head-title").textContent = m.name;
  $("h-campaign").replaceChildren(el("a", { href: `/console/campaigns/${m.campaign_id}?lang=${lang}` }, m.campaign_name));
  $("h-template").textContent = m.version ? fill(t.ml_template_version, { name: m.template_name, n: m.version }) : m.template_name;
  $("h-status").replaceChildren(el("span", { class: `badge ${m.status}` }, t[`ml_status_${m.status}`] || m.status));
  $("h-started").textContent = m.started_at ? when(m.started_at) : "—";
  const c = m.counts;
  $("counts").replaceChildren(...figures(COUNTS, c, "ml_count_"));
  $("excluded").replaceChildren(...figures(EXCLUDED, c.excluded || {}, "ml_excluded_"));
  const share = c.audience ? Math.min(1, c.accepted / c.audience) : 0;
  $("bar-accepted").style.width = `${(share * 100).toFixed(1)}%`;
  $("progress-bar").setAttribute("aria-label", fill(t.ml_progress_label, { accepted: number(c.accepted), audience: number(c.audience) }));
  const waiting = m.relay && m.relay.waiting;
  $("relay-waiting").hidden = !waiting;
  if (waiting) {
    $("relay-waiting").textContent = fill(t.ml_relay_waiting, { since: m.relay.since ? when(m.relay.since) : "—" })
      + (m.relay.error ? ` (${m.relay.error})` : "");
  }
  $("send").textContent = { draft: t.ml_send, sending: t.ml_send_running }[m.status] || t.ml_send_again;
  $("send").disabled = m.status === "sending";
  clearTimeout(timer);
  if (m.status === "sending" || waiting) timer = setTimeout(() => refresh().catch((e) => flash(e.message, "error")), REFRESH_MS);
}

async function refresh() {
  const m = await api("GET", `/mail/mailings/${id}`);
  draw(m);
  document.title = `${m.name} · Angeli`;
  return m;
}

function showError(message) {
  $("mperson-error").textContent = message;
  $("mperson-error").hidden = !message;
  if (message) $("mperson").setAttribute("aria-invalid", "true");
  else $("mperson").removeAttribute("aria-invalid");
}

async function preview() {
  showError("");
  const person = $("mperson").value.trim();
  if (person && !UUID_RE.test(person)) {
    showError(t.ml_person_invalid);
    $("mperson").focus();
    return;
  }
  try {
    const shown = await api("GET", `/mail/mailings/${id}/preview${person ? `?person_id=${encodeURIComponent(person)}` : ""}`);
    $("mpreview-subject").textContent = shown.subject;
    $("mpreview-html").setAttribute("srcdoc", shown.html);
    $("mpreview-text").textContent = shown.text;
    if (!person && shown.person_id) $("mperson").value = shown.person_id;
  } catch (error) {
    if (error instanceof ApiError && [404, 410, 422].includes(error.status)) {
      const missing = /merge field '([^']+)'/.exec(error.message);
      showError(missing ? fill(t.ml_err_missing_field, { field: missing[1] }) : error.message);
    } else {
      throw error;
    }
  }
}

async function testSend() {
  const sent = await api("POST", `/mail/mailings/${id}/test`, {});
  if (sent.status === "accepted") flash(fill(t.ml_test_sent, { to: sent.to }), "ok");
  else flash(fill(t.ml_test_not_sent, { to: sent.to, reason: sent.reason || sent.status }), "error");
}

async function send() {
  const m = await api("GET", `/mail/mailings/${id}`);
  if (!confirm(fill(t.ml_confirm_send, { name: m.name, n: number(m.counts.audience) }))) return;
  draw(await api("POST", `/mail/mailings/${id}/send`, {}));
  flash(t.ml_sending, "ok");
}

$("mpreview-form").addEventListener("submit", guarded(preview));
$("test-send").addEventListener("click", guarded(testSend));
$("send").addEventListener("click", guarded(send));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    return;
  }
  if (!READERS.includes(who.role)) {
    $("wrong-role-text").textContent = fill(t.ml_wrong_role, { role: t[`role_${who.role}`] || who.role });
    $("wrong-role").hidden = false;
    $("mailing").hidden = true;
    return;
  }
  writer = WRITERS.includes(who.role);
  for (const node of document.querySelectorAll(".writer-only")) node.hidden = !writer;
  await refresh();
  if (writer) await preview().catch((error) => flash(error.message, "error"));
  $("mailing").dataset.ready = "yes";
}
start().catch((error) => flash(error.message, "error"));
