// The administrator's desk: accounts (filter, create with a one-time link or a password, change role, disable,
// enable, send a new link), API keys (create: the secret shown once; revoke) and the trail of these changes.
import { api, el, flash, guarded, lang, locale, me, t, ZONE } from "./common.js";

const $ = (id) => document.getElementById(id);
const PAGE = 20, TRAIL_PAGE = 25;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name]);
const roleName = (role) => t[`role_${role}`] || role;
const when = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "short", timeZone: ZONE });
const moment = (iso) => when.format(new Date(iso));
let offset = 0, trailOffset = 0, self = null;

// --- accounts ---------------------------------------------------------------------------------------------
function filters() {
  const form = new FormData($("acc-filters"));
  const query = new URLSearchParams({ limit: PAGE, offset });
  for (const name of ["role", "status"]) if (form.get(name)) query.set(name, form.get(name));
  return query;
}

async function loadAccounts() {
  const response = await fetch(`/auth/accounts?${filters()}`, { credentials: "same-origin" });
  if (!response.ok) throw new Error((await response.json()).detail || response.statusText);
  const accounts = await response.json(), total = Number(response.headers.get("X-Total-Count") || 0);
  $("accounts").tBodies[0].replaceChildren(...accounts.map(accountRow));
  $("acc-count").textContent = total
    ? fill(t.adm_count, { from: offset + 1, to: offset + accounts.length, total }) : t.adm_none;
  $("acc-prev").disabled = offset === 0;
  $("acc-next").disabled = offset + accounts.length >= total;
}

function volunteerInput(id, label) {
  const input = el("input", { id, name: "volunteer_id", maxlength: "36", autocomplete: "off", "aria-label": label });
  return input;
}

// Only a volunteer account names its volunteer: the id box shows while "volunteer" is chosen.
function followRole(select, box, input) {
  const sync = () => {
    box.hidden = select.value !== "volunteer";
    input.required = !box.hidden;
  };
  select.addEventListener("change", sync);
  sync();
}

function volunteerId(input) {
  const value = input.value.trim();
  if (!value) return null;
  if (!UUID.test(value)) {
    input.focus();
    throw new Error(t.adm_bad_volunteer);
  }
  return value;
}

function accountRow(account) {
  const id = `a-${account.account_id}`, mine = self && self.id === account.account_id;
  const role = el("select", { id: `${id}-role`, "aria-label": `${t.adm_new_role}: ${account.email}` });
  role.append($("role-options").content.cloneNode(true));
  role.value = account.role;
  const volunteer = volunteerInput(`${id}-volunteer`, `${t.adm_volunteer_id}: ${account.email}`);
  if (account.volunteer_id) volunteer.value = account.volunteer_id;
  const volunteerBox = el("span", { class: "adm-volunteer" }, volunteer);
  followRole(role, volunteerBox, volunteer);
  const change = el("form", { class: "row wrap adm-role" }, role, volunteerBox,
    el("button", { type: "submit", "aria-label": `${t.adm_change_role}: ${account.email}` }, t.adm_change_role));
  change.addEventListener("submit", guarded(async () => {
    if (role.value === account.role && (volunteer.value.trim() || null) === account.volunteer_id) return;
    const changed = await api("POST", `/auth/accounts/${account.account_id}/role`,
      { role: role.value, volunteer_id: role.value === "volunteer" ? volunteerId(volunteer) : null });
    await refresh(fill(t.adm_role_changed, { email: changed.email, role: roleName(changed.role) }));
  }));
  const actions = el("td", { "data-label": t.adm_actions, class: "adm-actions" }, change);
  if (account.disabled) {
    actions.append(button(t.adm_enable, account, async () => {
      await api("POST", `/auth/accounts/${account.account_id}/enable`);
      await refresh(fill(t.adm_enabled, { email: account.email }));
    }));
  } else {
    actions.append(button(t.adm_new_link, account, async () => {
      const link = await api("POST", `/auth/accounts/${account.account_id}/invitation`);
      showLink(link, account.email);
      await loadTrail(true);
    }), button(t.adm_disable, account, async () => {
      if (!confirm(fill(mine ? t.adm_confirm_disable_self : t.adm_confirm_disable, { email: account.email }))) return;
      await api("POST", `/auth/accounts/${account.account_id}/disable`);
      await refresh(fill(t.adm_disabled, { email: account.email }));
    }, "danger"));
  }
  const linked = account.volunteer_id
    ? el("a", { href: `/console/volunteers/${account.volunteer_id}?lang=${lang}`,
      "aria-label": `${t.adm_volunteer_page} ${account.volunteer_id}` }, account.volunteer_id.slice(0, 8))
    : el("span", { class: "muted" }, "—");
  return el("tr", { id, class: account.status },
    el("th", { scope: "row", "data-label": t.email }, account.email, mine ? el("span", { class: "muted" }, ` (${t.adm_you})`) : ""),
    el("td", { "data-label": t.adm_role }, roleName(account.role)),
    el("td", { "data-label": t.adm_volunteer }, linked),
    el("td", { "data-label": t.adm_status }, el("span", { class: `badge ${account.status}` }, t[`adm_status_${account.status}`])),
    el("td", { "data-label": t.adm_created }, moment(account.created_at)),
    actions);
}

function button(label, account, action, kind = "") {
  const node = el("button", { type: "button", class: kind, "aria-label": `${label}: ${account.email}` }, label);
  node.addEventListener("click", guarded(action));
  return node;
}

function showLink(invitation, email) {
  const link = new URL(invitation.link, location.origin);
  link.searchParams.set("lang", lang);
  $("link").value = link.href;
  $("link-title").textContent = fill(t.adm_link_for, { email });
  $("link-expires").textContent = fill(t.adm_link_expires, { when: moment(invitation.expires_at) });
  $("link-box").hidden = false;
  $("link-title").focus();
  flash(fill(t.adm_link_ready, { email }), "ok");
}

async function refresh(message) {
  await Promise.all([loadAccounts(), loadTrail(true)]);
  if (message) flash(message, "ok");
}

// --- a new account ----------------------------------------------------------------------------------------
function newAccount() {
  const form = $("new-account");
  followRole($("n-role"), $("n-volunteer-box"), $("n-volunteer"));
  const how = () => form.querySelector("input[name=how]:checked").value;
  for (const radio of form.querySelectorAll("input[name=how]")) {
    radio.addEventListener("change", () => {
      $("n-password-box").hidden = how() !== "password";
      $("n-password").required = how() === "password";
    });
  }
  form.addEventListener("submit", guarded(async () => {
    const data = new FormData(form), email = String(data.get("email")).trim();
    if (!$("n-email").checkValidity() || !email) {
      $("n-email").focus();
      throw new Error(t.adm_bad_email);
    }
    const role = String(data.get("role"));
    const volunteer = role === "volunteer" ? volunteerId($("n-volunteer")) : null;
    if (role === "volunteer" && !volunteer) {
      $("n-volunteer").focus();
      throw new Error(t.adm_volunteer_needed);
    }
    const body = { email, role, volunteer_id: volunteer };
    if (how() === "password") body.password = String(data.get("password"));
    else body.invite = true;
    const created = await api("POST", "/auth/accounts", body);
    form.reset();
    $("n-role").dispatchEvent(new Event("change"));
    $("n-password-box").hidden = true;
    await refresh();
    if (created.invitation) showLink(created.invitation, created.email);
    else flash(fill(t.adm_created_ok, { email: created.email }), "ok");
  }));
  $("link-copy").addEventListener("click", () => copy("link"));
}

async function copy(id) {
  const input = $(id);
  input.select();
  try {
    await navigator.clipboard.writeText(input.value);
    flash(t.adm_copied, "ok");
  } catch {
    flash(t.adm_copy_by_hand, "info"); // no clipboard (an http page, a browser that refuses): the text is selected
  }
}

// --- API keys ---------------------------------------------------------------------------------------------
async function loadKeys() {
  const keys = await api("GET", "/auth/api-keys");
  $("keys-none").hidden = keys.length > 0;
  $("keys").tBodies[0].replaceChildren(...keys.slice().reverse().map((key) => {
    const status = key.revoked ? "revoked" : "active";
    const actions = el("td", { "data-label": t.adm_actions });
    if (!key.revoked) {
      actions.append(button(t.adm_revoke, { email: key.name }, async () => {
        if (!confirm(fill(t.adm_confirm_revoke, { name: key.name }))) return;
        await api("POST", `/auth/api-keys/${key.key_id}/revoke`);
        await Promise.all([loadKeys(), loadTrail(true)]);
        flash(fill(t.adm_revoked, { name: key.name }), "ok");
      }, "danger"));
    }
    return el("tr", { class: status },
      el("th", { scope: "row", "data-label": t.adm_key_name }, key.name),
      el("td", { "data-label": t.adm_prefix }, el("code", {}, key.prefix)),
      el("td", { "data-label": t.adm_role }, roleName(key.role)),
      el("td", { "data-label": t.adm_created_by }, key.created_by.replace(/^\w+:/, "")),
      el("td", { "data-label": t.adm_created }, moment(key.created_at)),
      el("td", { "data-label": t.adm_status }, el("span", { class: `badge ${status}` }, t[`adm_key_${status}`])),
      actions);
  }));
}

function newKey() {
  const form = $("new-key");
  form.addEventListener("submit", guarded(async () => {
    const data = new FormData(form), name = String(data.get("name")).trim();
    if (!name) {
      $("k-name").focus();
      throw new Error(t.adm_key_name_needed);
    }
    const key = await api("POST", "/auth/api-keys", { name, role: data.get("role") });
    form.reset();
    $("secret").value = key.secret;
    $("secret-title").textContent = fill(t.adm_secret_for, { name: key.name });
    $("secret-box").hidden = false;
    $("secret-title").focus();
    await Promise.all([loadKeys(), loadTrail(true)]);
    flash(fill(t.adm_key_created, { name: key.name }), "ok");
  }));
  $("secret-copy").addEventListener("click", () => copy("secret"));
}

// --- the trail --------------------------------------------------------------------------------------------
function detail(change) {
  // The subject's e-mail or name is in its own column; role names as the reader says them ("coordinator ->
  // viewer"), a link's expiry as a date.
  return change.detail.replace(/^(email|name)=.*?(?= role=|$)/, "").trim()
    .replace(/\b(administrator|campaign_manager|coordinator|volunteer|auditor|viewer)\b/g, roleName)
    .replace(/role=/, `${t.adm_role}: `)
    .replace(/expires=(\S+)/, (_, iso) => fill(t.adm_link_expires, { when: moment(iso) }))
    .replace(" by invitation", ` (${t.adm_by_invitation_short})`);
}

async function loadTrail(again = false) {
  if (again) trailOffset = 0;
  const rows = await api("GET", `/auth/account-changes?limit=${TRAIL_PAGE}&offset=${trailOffset}`);
  const body = $("trail").tBodies[0];
  const drawn = rows.map((c) => el("tr", {},
    el("td", { "data-label": t.adm_when }, moment(c.at)),
    el("td", { "data-label": t.adm_who }, c.actor.replace(/^(account|api_key|system|cli|invitation):/, "")),
    el("td", { "data-label": t.adm_what }, t[`adm_change_${c.subject.split(":")[0]}_${c.change}`] || c.change),
    el("th", { scope: "row", "data-label": t.adm_subject }, c.subject_name || c.subject),
    el("td", { "data-label": t.adm_detail }, detail(c))));
  if (again) body.replaceChildren(...drawn);
  else body.append(...drawn);
  trailOffset += rows.length;
  $("trail-more").hidden = rows.length < TRAIL_PAGE;
}

// --- start ------------------------------------------------------------------------------------------------
async function start() {
  self = await me();
  if (!self || self.role !== "administrator") {
    $("wrong-role-text").textContent = self
      ? fill(t.adm_wrong_role, { role: roleName(self.role) }) : t.adm_sign_in_first;
    $("wrong-role").hidden = false;
    return;
  }
  $("admin").hidden = false;
  $("acc-filters").addEventListener("submit", guarded(async () => {
    offset = 0;
    await loadAccounts();
  }));
  $("acc-prev").addEventListener("click", guarded(async () => {
    offset = Math.max(0, offset - PAGE);
    await loadAccounts();
  }));
  $("acc-next").addEventListener("click", guarded(async () => {
    offset += PAGE;
    await loadAccounts();
  }));
  $("trail-more").addEventListener("click", guarded(() => loadTrail()));
  newAccount();
  newKey();
  try {
    await Promise.all([loadAccounts(), loadKeys(), loadTrail(true)]);
    $("admin").dataset.ready = "";
  } catch (error) {
    flash(error.message, "error");
  }
}
start();
