// A campaign's dashboard, refreshed every few seconds from the progress and eligibility read models.
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

async function refresh() {
  try {
    const [campaign, progress, why] = await Promise.all([
      api("GET", `/campaigns/${id}`), api("GET", `/stats/campaigns/${id}/progress`),
      api("GET", `/campaigns/${id}/eligibility`)]);
    document.getElementById("campaign-status").textContent = t[`status_${campaign.status}`] || campaign.status;
    await learnNames(progress.per_volunteer);
    showProgress(progress);
    showWhy(why);
    document.getElementById("updated").textContent = new Date().toLocaleTimeString(locale, { timeZone: ZONE });
    document.getElementById("flash").hidden = true;
  } catch (error) {
    flash(error.message, "error");
  }
}

refresh();
setInterval(refresh, 3000);
