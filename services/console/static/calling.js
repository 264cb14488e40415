// The volunteer's calling screen: clock in, take the next contact, dial, record the outcome in one click.
import { api, el, flash, guarded, lang, locale, me, t, ZONE } from "./common.js";
import { whyNoneText } from "./reasons.js";
import { followOpenCall, passesThrough, phoneText, talkOf, telephony, timeOfDay } from "./telephony.js";

const $ = (id) => document.getElementById(id);
let volunteerId = null, offer = null, call = null, connected = false, campaign = null;
const campaigns = new Map();
// Telephony: how calls pass through the product here, the network's call for the contact shown, and its following.
let phones = { mode: "off" }, network = null, unfollow = null;

function showPresence(presence) {
  const on = presence.clocked_in;
  $("presence").textContent = on
    ? `${t.clocked_in} ${new Date(presence.clocked_in_at).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: ZONE })}`
    : t.clocked_out;
  $("clock-in").hidden = on;
  $("clock-out").hidden = !on;
  $("next").disabled = !on || !$("campaign").value;
}

async function loadCampaigns() {
  const list = (await api("GET", "/console/api/campaigns")).filter((c) => c.status === "launched");
  for (const c of list) campaigns.set(c.campaign_id, c);
  $("campaign").replaceChildren(...list.map((c) => el("option", { value: c.campaign_id }, c.name)));
}

function fillScript(text) {
  const values = { first_name: offer.first_name, last_name: offer.last_name, campaign: campaign.name };
  return text.replace(/\{(first_name|last_name|campaign)\}/g, (_, key) => values[key] || "");
}

async function showOffer(answer) {
  stopNetwork();
  offer = answer.offer;
  call = null;
  connected = false;
  $("contact").hidden = !offer;
  $("none").hidden = !!offer;
  if (!offer) {
    $("none").textContent = `${t.no_contact}: ${whyNoneText(answer)}`;
    return;
  }
  $("contact-name").textContent = offer.first_name || offer.phone;
  $("phone").textContent = offer.phone;
  $("dial").href = `tel:${offer.phone}`;
  $("contact-kind").textContent = t[`kind_${offer.kind}`] || offer.kind;
  $("contact-attempts").textContent = offer.attempts;
  $("contact-until").textContent = new Date(offer.allowed_until).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit", timeZone: ZONE });
  $("script").textContent = fillScript(offer.script);
  const slots = (await api("GET", `/console/api/campaigns/${campaign.campaign_id}/callback-slots`)).slots;
  $("callback-at").replaceChildren(...slots.map((s) => el("option", { value: s },
    new Date(s).toLocaleString(locale, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", timeZone: ZONE }))));
  $("contact-name").setAttribute("tabindex", "-1");
  $("contact-name").focus();
  startNetwork();
}

// A call through the product: the volunteer's Angeli phone dials (sip) or the product rings it (twiml); either way
// the network starts the Call, answers and hangs it up, and this screen follows it; the outcome then ends it.
function startNetwork() {
  stopNetwork();
  $("network").hidden = !passesThrough(phones);
  if (!passesThrough(phones)) return;
  $("phone").textContent = phoneText(offer.phone);
  $("dial").classList.remove("primary");  // the fallback: the call through the charity comes first
  const how = phones.mode === "sip" ? t.tc_sip_how : t.tc_twiml_how;
  $("network-how").textContent = how.replace("{phone}", phoneText(offer.phone)).replace("{number}", phoneText(phones.number));
  $("network-call").hidden = phones.mode !== "twiml";
  $("network-call").disabled = false;
  $("network-state").textContent = t.tc_waiting;
  const contact = offer.contact_id;
  unfollow = followOpenCall(volunteerId, "outbound", (open) => {
    if (offer && offer.contact_id === contact) showNetwork(open);
  }, (error) => flash(error.message, "error"));
}

function stopNetwork() {
  if (unfollow) unfollow();
  unfollow = null;
  network = null;
  $("network-talk").hidden = true;
  $("network-ends").hidden = true;
  for (const button of document.querySelectorAll("#contact [data-disposition], #opt-out, #pledge button, #callback button")) {
    button.disabled = false;
  }
}

// The open outbound call, when it is the network's call to the contact shown: its state, talk time and the outcomes
// it can still take (a connected call is no "no answer"; an unanswered one is no conversation).
function showNetwork(open) {
  if (!open || open.timing !== "network" || open.contact_id !== offer.contact_id) return;
  network = open;
  const state = open.hung_up_at
    ? (open.connected_at ? t.tc_hung_up : t.tc_hung_up_unanswered).replace("{time}", timeOfDay(open.hung_up_at))
    : open.connected_at ? t.tc_connected.replace("{time}", timeOfDay(open.connected_at))
      : t.tc_ringing.replace("{time}", timeOfDay(open.started_at));
  if ($("network-state").textContent !== state) $("network-state").textContent = state;
  $("network-call").disabled = true;  // one call at a time: this one is under way
  $("network-ends").hidden = false;
  $("network").dataset.state = open.hung_up_at ? "hung-up" : open.connected_at ? "connected" : "ringing";
  tickNetwork();
  const talked = !!open.connected_at;
  for (const button of document.querySelectorAll("#contact [data-disposition]")) {
    const disposition = button.dataset.disposition;
    button.disabled = talked ? NO_CONVERSATION.has(disposition) : CONVERSATION.has(disposition);
  }
  for (const button of document.querySelectorAll("#opt-out, #pledge button, #callback button")) button.disabled = !talked;
}

function tickNetwork() {
  const talk = network && talkOf(network);
  $("network-talk").hidden = talk === null || !network;
  if (talk !== null && network) $("network-talk-time").textContent = talk;
}
setInterval(tickNetwork, 1000);

async function ensureCall(connect) {
  if (passesThrough(phones) && !call) {  // the network's call, if it started: read it once more before the outcome
    showNetwork(await api("GET", `/volunteers/${volunteerId}/open-call?kind=outbound`));
    if (network) {
      call = network.id;  // network-timed: connected (or not) by the network, never by hand
      connected = true;
      return;
    }
  }
  call ??= (await api("POST", "/calls", { volunteer_id: volunteerId, direction: "outbound",
    campaign_id: campaign.campaign_id, contact_id: offer.contact_id })).id;
  if (connect && !connected) {
    await api("POST", `/calls/${call}/connect`);
    connected = true;
  }
}

const CONVERSATION = new Set(["answered", "wrong_number", "not_interested", "pledged", "callback_requested",
  "do_not_call"]);
const NO_CONVERSATION = new Set(["no_answer", "busy"]);

async function finish(disposition, callbackAt = null) {
  await ensureCall(CONVERSATION.has(disposition));
  await api("POST", `/calls/${call}/end`, { disposition, callback_at: callbackAt });
  flash(`${t.done}: ${offer.first_name || offer.phone} — ${t[disposition] || disposition}`, "ok");
  offer = null;
  stopNetwork();
  $("contact").hidden = true;
  $("pledge").reset();
  $("next").focus();
}

$("clock-in").addEventListener("click", guarded(async () => {
  showPresence(await api("POST", `/volunteers/${volunteerId}/clock-in`));
  $("next").focus();
}));
$("clock-out").addEventListener("click", guarded(async () => {
  showPresence(await api("POST", `/volunteers/${volunteerId}/clock-out`));
}));
$("campaign").addEventListener("change", () => { campaign = campaigns.get($("campaign").value); });
$("next").addEventListener("click", guarded(async () => {
  campaign = campaigns.get($("campaign").value);
  const ask = () => api("POST", `/campaigns/${campaign.campaign_id}/dialer/next`, { volunteer_id: volunteerId });
  for (let attempt = 1; ; attempt += 1) {
    try {
      await showOffer(await ask());
      return;
    } catch (error) {
      // Right after clocking in, the dialer may not have heard of it yet: it learns through the event feed.
      if (error.status !== 409 || attempt === 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 600));
    }
  }
}));
$("network-call").addEventListener("click", guarded(async () => {
  const button = $("network-call");
  button.disabled = true;
  try {
    await api("POST", `/campaigns/${campaign.campaign_id}/contacts/${offer.contact_id}/call`, { volunteer_id: volunteerId });
    $("network-state").textContent = t.tc_phone_rings;
  } catch (error) {
    button.disabled = false;
    if (error.status === 409) $("network-state").textContent = t.tc_refused.replace("{reason}", error.message);
    else if (error.status === 502) $("network-state").textContent = t.tc_unreachable;
    else throw error;
  }
}));
$("dial").addEventListener("click", guarded(async (event) => {
  // With telephony on, the tel: link only hands the number over: the outcome finds the network's call if the
  // dial went through the charity's switchboard, else records a self-reported one then (never two for one dial).
  if (passesThrough(phones)) {
    location.href = event.currentTarget.href;
    return;
  }
  await ensureCall(false);
  location.href = event.currentTarget.href;  // hands the number to the phone or softphone
}));
for (const button of document.querySelectorAll("[data-disposition]")) {
  button.addEventListener("click", guarded(() => finish(button.dataset.disposition)));
}
$("opt-out").addEventListener("click", guarded(async () => {
  await api("POST", "/suppression/opt-outs", { person_id: offer.person_id, source: "volunteer call" });
  await finish("do_not_call");
}));
$("callback").addEventListener("submit", guarded(() => finish("callback_requested", $("callback-at").value)));
for (const radio of document.querySelectorAll("input[name=kind]")) {
  radio.addEventListener("change", () => {
    document.querySelector("#pledge .goods").hidden = radio.value !== "goods" || !radio.checked;
  });
}
$("pledge").addEventListener("submit", guarded(async (event) => {
  const form = new FormData(event.target);
  await ensureCall(true);
  const name = [offer.first_name, offer.last_name].filter(Boolean).join(" ") || offer.phone;
  const donor = await api("POST", "/donors", { kind: "person", name, phone: offer.phone });
  const goods = form.get("kind") === "goods";
  await api("POST", "/pledges", { donor_id: donor.id, fund_id: campaign.fund_id, kind: form.get("kind"),
    amount: form.get("amount"), campaign_id: campaign.campaign_id, contact_id: offer.contact_id, call_id: call,
    volunteer_id: volunteerId, description: goods ? form.get("description") || null : null,
    quantity: goods && form.get("quantity") ? Number(form.get("quantity")) : null });
  await finish("pledged");
}));

async function start() {
  const who = await me();
  if (!who) {
    location.href = `/console/login?lang=${lang}&next=/console/calling`;
    return;
  }
  volunteerId = who.volunteer_id;
  if (!volunteerId) {  // an administrator, manager… is not a volunteer: say so and how to call instead
    $("wrong-role-text").textContent = t.not_a_volunteer.replace("{role}", who.role);
    $("wrong-role").hidden = false;
    $("calling").hidden = true;
    return;
  }
  if (!(await api("GET", `/volunteers/${volunteerId}`)).roles.includes("outreach")) {  // the server would refuse
    $("wrong-role-text").textContent = t.call_no_outreach_role;
    $("wrong-role").querySelector("a").hidden = true;  // signed in as themselves: another account is not the fix
    $("wrong-role").hidden = false;
    $("calling").hidden = true;
    return;
  }
  phones = await telephony();
  await loadCampaigns();
  campaign = campaigns.get($("campaign").value) || null;
  showPresence(await api("GET", `/volunteers/${volunteerId}/presence`));
}
start().catch((error) => flash(error.message, "error"));
