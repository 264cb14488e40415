// Why a contact is not dialled, in the page's language: a reason's code picks a label, its parameters fill it
// in (days and times in the reader's format); a code this console does not know keeps the server's English text.
import { day, lang, locale, number, t, ZONE } from "./common.js";

// 0 = Monday, as the server counts weekdays; 1 January 2024 was a Monday.
const weekday = (n) => new Intl.DateTimeFormat(locale, { weekday: "long", timeZone: "UTC" })
  .format(new Date(Date.UTC(2024, 0, 1 + n)));
const clock = (hhmm) => {
  const [h, m] = hhmm.split(":").map(Number);
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: "UTC" })
    .format(new Date(Date.UTC(2024, 0, 1, h, m)));
};
const list = (items) => new Intl.ListFormat(locale, { style: "long", type: "conjunction" }).format(items);
const holiday = (p) => (p.town ? fill(t.reason_patron_day, { town: p.town }) : (p.names || {})[lang] || (p.names || {}).en);

// A label's {name} placeholders filled from `values`; null when a placeholder has no value.
function fill(template, values) {
  let missing = false;
  const text = template.replace(/\{(\w+)\}/g, (_, name) => {
    if (values[name] === undefined || values[name] === null) missing = true;
    return values[name];
  });
  return missing ? null : text;
}

function dayOf(d) {
  if (d.code === "weekday") return t.day_weekday;
  if (d.code === "short_weekday") return weekday(d.params.weekday);
  if (d.code === "eve") return fill(t.day_eve, { holiday: holiday(d.params) });
  return null;
}

const VALUES = {
  closed: (p) => ({ disposition: (t[p.disposition] || p.disposition).toLowerCase() }),
  scheduled: (p) => ({ kind: t[`kind_${p.kind}`] || p.kind }),
  on_register: (p) => ({ checked_on: day(p.checked_on) }),
  weekly_cap: (p) => ({ attempts: p.attempts }),
  conversation_rest: (p) => ({ days: p.days }),
  no_policy: (p) => ({ zones: list(p.zones), policy: p.policy, governs: list(p.governs) }),
  campaign_not_started: (p) => ({ first_day: day(p.first_day) }),
  campaign_ended: (p) => ({ last_day: day(p.last_day) }),
  closed_weekday: (p) => ({ weekday: weekday(p.weekday) }),
  campaign_weekday: (p) => ({ weekday: weekday(p.weekday) }),
  holiday: (p) => ({ holiday: holiday(p) }),
  patron_day: (p) => ({ town: p.town }),
  outside_policy_hours: (p) => ({ from: clock(p.from), until: clock(p.until), day: dayOf(p.day), policy: p.policy,
    zone: p.zone }),
  outside_preferred: (p) => ({ zone: p.zone }),
  campaign_window_closed: (p) => ({ from: clock(p.from), until: clock(p.until), zone: p.zone }),
  campaign_status: (p) => ({ status: t[`status_${p.status}`] || p.status }),
  register_stale: (p) => ({ checked_on: day(p.checked_on), age_days: p.age_days, policy: p.policy,
    limit_days: p.limit_days }),
};

// `reason`: { code, params, text } as GET /campaigns/{id}/eligibility answers it.
export function reasonText(reason) {
  if (reason.code === "campaign_blocked") return reason.params.reasons.map(reasonText).join("; ");
  const label = t[`reason_${reason.code}`];
  if (!label) return reason.text;
  try {
    return fill(label, (VALUES[reason.code] || (() => ({})))(reason.params || {})) ?? reason.text;
  } catch {
    return reason.text; // parameters of a shape this console does not know
  }
}

// A contact's state on the dashboard: its queue kind, or "closed: <disposition>".
export function stateText(state) {
  const closed = /^closed: (.+)$/.exec(state);
  if (closed) return reasonText({ code: "closed", params: { disposition: closed[1] }, text: state });
  return t[`kind_${state.replace(" ", "_")}`] || state;
}

// When the calling window next opens, in full: mercoledì 9 dicembre 2026, 10:00 CET.
export function opensText(iso) {
  return new Date(iso).toLocaleString(locale, { weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", timeZone: ZONE, timeZoneName: "short" });
}

// Why the dialer offered nobody, in one sentence of the page's language, from its answer's codes.
export function whyNoneText(answer) {
  if (answer.campaign_blocks.length) return answer.campaign_blocks.map(reasonText).join("; ");
  if (!answer.reasons.length) return answer.why_none ? t.campaign_has_no_contacts : "";
  const counted = answer.reasons.map((r) => `${number(r.count)} ${reasonText(r)}`).join(", ");
  return answer.next_window ? `${counted}. ${t.next_window}: ${opensText(answer.next_window)}` : counted;
}
