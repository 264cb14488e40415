// A campaign's dashboard. Its figures follow the progress read model's server-sent events (a pledge or a payment
// appears within a second); the campaign's state and "why nobody is dialled" are read again with each event and
// every half minute (the calling window opens with time alone). Where EventSource is missing or the stream is
// refused, everything is read every few seconds instead.
import { api, barChart, euro, fillRows, flash, locale, number, percent as share, t, ZONE } from "./common.js";
import { opensText, reasonText, stateText } from "./reasons.js";

const id = document.getElementById("dashboard").dataset.campaign;
const percent = (part) => share(Math.min(1, part));
const width = (part) => `${Math.min(100, part * 100)}%`; // CSS, not for reading
const names = new Map(); // volunteer id -> name: each read is in the access log, so asked once per volunteer

async function learnNames(volunteers) {
  if (volunteers.every((v) => names.has(v.key))) return;
  for (const v of await api("GET", `/console/api/campaigns/${id}/volunteers`)) names.set(v.volunteer_id, v.name);
}

function showProgress(p) {
  document.getElementById("campaign-name").textContent = p.name;
  document.getElementById("goal").textContent = euro(p.goal);
  document.getElementById("pledged").textContent = `${euro(p.pledged)} (${percent(p.pledged_share_of_goal)} ${t.of_goal})`;
  document.getElementById("paid").textContent = `${euro(p.paid)} (${percent(p.paid_share_of_goal)} ${t.of_goal})`;
  for (const key of ["pledges", "attempts", "reached"]) document.getElementById(key).textContent = number(p[key]);
  document.getElementById("bar-pledged").style.width = width(p.pledged_share_of_goal);
  document.getElementById("bar-paid").style.width = width(p.paid_share_of_goal);
  document.getElementById("progress").setAttribute("aria-label",
    `${t.pledged} ${percent(p.pledged_share_of_goal)}, ${t.paid} ${percent(p.paid_share_of_goal)} ${t.of_goal}`);
  fillRows(document.querySelector("#states tbody"),
    Object.entries(p.contacts_by_state).sort((a, b) => b[1] - a[1]).map(([state, n]) => [stateText(state), n]));
  fillRows(document.querySelector("#volunteers tbody"), p.per_volunteer.map((v) =>
    [names.get(v.key) || v.key.slice(0, 8), v.attempts, v.reached, v.pledges, share(v.conversion)]));
  const hours = Array.from({ length: 13 }, (_, i) => String(i + 8).padStart(2, "0"));
  const at = (key, field) => (p.per_hour.find((h) => h.key === key) || { [field]: 0 })[field];
  barChart(document.getElementById("hour-chart"), hours, [
    { name: t.attempts, class: "s1", values: hours.map((h) => at(h, "attempts")) },
    { name: t.reached, class: "s2", values: hours.map((h) => at(h, "reached")) },
    { name: t.pledges, class: "s3", values: hours.map((h) => at(h, "pledges")) },
  ], t.by_hour);
}

function showWhy(why) {
  document.getElementById("callable").textContent = `${number(why.callable_now)} / ${number(why.total)}`;
  document.getElementById("blocked").replaceChildren(...why.campaign_blocks.map((reason) => {
    const item = document.createElement("li");
    item.textContent = reasonText(reason);
    return item;
  }));
  fillRows(document.querySelector("#reasons tbody"), why.reasons.map((reason) => [reasonText(reason), reason.count]));
  const opens = document.getElementById("next-window");
  document.getElementById("next-window-line").hidden = !why.next_window;
  if (why.next_window) {
    opens.dateTime = why.next_window;
    opens.textContent = opensText(why.next_window);
  }
}

const POLL_MS = 5000, SLOW_MS = 30000, AFTER_EVENT_MS = 1000;

function updated() {
  document.getElementById("updated").textContent = new Date().toLocaleTimeString(locale, { timeZone: ZONE });
  document.getElementById("flash").hidden = true;
}

// States may wait for names in turn: one that a newer state overtook meanwhile is dropped, never drawn over it.
let latest = 0;
async function receive(progress) {
  const mine = ++latest;
  await learnNames(progress.per_volunteer);
  if (mine !== latest) return;
  showProgress(progress);
  updated();
}

async function refreshRest() {
  const [campaign, why] = await Promise.all([api("GET", `/campaigns/${id}`), api("GET", `/campaigns/${id}/eligibility`)]);
  document.getElementById("campaign-status").textContent = t[`status_${campaign.status}`] || campaign.status;
  showWhy(why);
}

async function refresh() {
  try {
    const [progress] = await Promise.all([api("GET", `/stats/campaigns/${id}/progress`), refreshRest()]);
    await receive(progress);
  } catch (error) {
    flash(error.message, "error");
  }
}

// The state and the reasons change with the same events (attempts, launches): read again shortly after one, once.
let restPending = null;
function restSoon() {
  if (restPending) return;
  restPending = setTimeout(() => {
    restPending = null;
    refreshRest().catch((error) => flash(error.message, "error"));
  }, AFTER_EVENT_MS);
}

function follow() {
  const mode = document.getElementById("live-mode");
  let polling = null, slow = null;
  const startPolling = () => {
    if (polling) return;
    clearInterval(slow);
    mode.textContent = t.fu_polling;
    refresh();
    polling = setInterval(refresh, POLL_MS);
  };
  if (!("EventSource" in window)) return startPolling();
  const source = new EventSource(`/stats/campaigns/${id}/progress/events`);
  source.addEventListener("progress", (message) => {
    mode.textContent = t.fu_live;
    receive(JSON.parse(message.data)).catch((error) => flash(error.message, "error"));
    restSoon();
  });
  // A stream that ends by itself is reopened by the browser; one refused (signed out, no role, a campaign not
  // projected yet) is closed: then the page polls.
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) {
      source.close();
      startPolling();
    }
  });
  addEventListener("pagehide", () => source.close());
  refreshRest().catch((error) => flash(error.message, "error"));
  slow = setInterval(() => refreshRest().catch((error) => flash(error.message, "error")), SLOW_MS);
}

follow();
