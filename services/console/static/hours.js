// Volunteer hours week by week: the centre's chart and every volunteer's (or only mine, for a volunteer).
import { api, barChart, el, flash, me, number, t, week } from "./common.js";

function table(rows) {
  document.querySelector("#hours-table tbody").replaceChildren(...rows.map((v) => el("tr", {},
    el("td", {}, v.name || v.volunteer_id.slice(0, 8)), el("td", { class: "num" }, number(v.total_hours, 1)),
    el("td", { class: "spark" }, v.periods.slice(-8).map((p) => `${week(p.period, true)}: ${number(p.shift_hours, 1)}`).join(" · ")))));
}

function chart(periods) {
  const recent = periods.slice(-26);
  barChart(document.getElementById("centre-chart"), recent.map((p) => week(p.period)), [
    { name: t.shift_hours, class: "s1", values: recent.map((p) => p.shift_hours) },
    { name: t.talk_hours, class: "s2", values: recent.map((p) => p.talk_hours) },
  ], `${t.centre}: ${t.shift_hours}, ${t.talk_hours}`);
}

async function start() {
  const who = await me();
  if (who && who.role === "volunteer") {
    const mine = await api("GET", `/stats/volunteers/${who.volunteer_id}/hours?period=week`);
    document.getElementById("centre-title").textContent = t.my_hours;
    document.getElementById("csv").hidden = true;
    chart(mine.periods);
    table([{ volunteer_id: who.volunteer_id, name: who.name, periods: mine.periods,
      total_hours: mine.periods.reduce((sum, p) => sum + p.shift_hours, 0) }]);
    return;
  }
  const overview = await api("GET", "/console/api/hours?period=week");
  chart(overview.centre);
  table(overview.volunteers);
}
start().catch((error) => flash(error.message, "error"));
