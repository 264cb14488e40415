// What the two funds pages share: figures that follow the server-sent events (polling when EventSource fails),
// the server's refusals in the page's language, and amounts and days as the reader types them.
import { api, euro, flash, locale, t, ZONE } from "./common.js";

const POLL_MS = 5000;

export const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

// `receive` gets each new state: first from the stream's events; when the stream is refused or EventSource is
// missing, from GET `path` every few seconds.
export function follow(path, event, receive) {
  const mode = document.getElementById("fu-mode");
  let polling = null;
  const poll = async () => {
    try {
      receive(await api("GET", path));
    } catch (failure) {
      flash(failure.message, "error");
    }
  };
  const startPolling = () => {
    if (polling) return;
    mode.textContent = t.fu_polling;
    poll();
    polling = setInterval(poll, POLL_MS);
  };
  if (!("EventSource" in window)) {
    startPolling();
    return { refresh: poll };
  }
  const source = new EventSource(`${path}/events`);
  source.addEventListener(event, (message) => {
    mode.textContent = t.fu_live;
    receive(JSON.parse(message.data));
  });
  // A stream that ends by itself is reopened by the browser; one refused (signed out, no role) is closed.
  source.addEventListener("error", () => {
    if (source.readyState === EventSource.CLOSED) startPolling();
  });
  addEventListener("pagehide", () => source.close());
  return { refresh: () => (polling ? poll() : Promise.resolve()) };
}

// The server's reason for a refusal, in the page's language when this page knows it (else the server's words).
const day = new Intl.DateTimeFormat(locale, { year: "numeric", month: "numeric", day: "numeric", timeZone: "UTC" });
export const dayOf = (iso) => day.format(new Date(`${iso}T00:00:00Z`));
const REASONS = [
  [/disbursing (-?[\d.]+) EUR on (\S+) would leave fund .* at (-?[\d.]+) EUR on (\S+); it held (-?[\d.]+) EUR then/,
    (m) => fill(t.fu_reason_balance, { amount: euro(m[1]), day: dayOf(m[2]), left: euro(m[3]), on: dayOf(m[4]), held: euro(m[5]) })],
  [/at most 2 decimals/, () => t.fu_reason_cents], [/must be positive/, () => t.fu_reason_positive],
  [/must be a number of euro|valid decimal|decimal/i, () => t.fu_reason_number], [/must be at most/, () => t.fu_reason_too_big],
  [/must not be in the future/, () => t.fu_reason_future], [/purpose/, () => t.fu_reason_purpose],
  [/document/, () => t.fu_reason_document], [/closed fund keeps its name/, () => t.fu_reason_closed_name],
  [/already closed/, () => t.fu_reason_already_closed], [/name/, () => t.fu_reason_name],
];
export function reason(error) {
  for (const [pattern, label] of REASONS) {
    const match = pattern.exec(error.message);
    if (match) return label(match);
  }
  return error.message;
}
export const refusal = (error) => fill(t.fu_refused, { reason: reason(error) });

// An amount as the reader writes it (1.250,50 in Italian, 1,250.50 in English) as the API reads it (1250.50).
// Nothing is judged here: three decimals, a minus or letters reach the server, which says what is wrong.
export function amountOf(typed) {
  const text = typed.trim().replace(/\s|€/g, "");
  const [group, mark] = locale.startsWith("it") ? [".", ","] : [",", "."];
  return text.split(group).join("").replace(mark, ".");
}

// A Rome day at noon as an instant with its offset (2026-11-20T12:00:00+01:00): the day the ledger counts it on.
export function romeNoon(dayIso) {
  const wanted = Date.parse(`${dayIso}T12:00:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hourCycle: "h23",
    hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(wanted)).map((p) => [p.type, p.value]));
  const offset = Number(parts.hour) * 60 + Number(parts.minute) - 12 * 60;
  const sign = offset >= 0 ? "+" : "-", abs = Math.abs(offset);
  return `${dayIso}T12:00:00${sign}${String(Math.floor(abs / 60)).padStart(2, "0")}:${String(abs % 60).padStart(2, "0")}`;
}

// Each cell carries its column's heading: at phone width a row is a small card of "heading: value" pairs.
export function fillTable(id, rows, emptyId, foot = []) {
  const table = document.getElementById(id);
  const headings = [...table.querySelectorAll("thead th")].map((th) => th.textContent.trim());
  for (const row of [...rows, ...foot]) {
    [...row.children].forEach((cell, i) => { if (headings[i]) cell.dataset.label = headings[i]; });
  }
  table.tBodies[0].replaceChildren(...rows);
  if (table.tFoot) table.tFoot.replaceChildren(...foot);
  table.hidden = rows.length === 0;
  document.getElementById(emptyId).hidden = rows.length > 0;
}

export const MANAGERS = ["campaign_manager", "administrator"];
export const READERS = [...MANAGERS, "coordinator", "auditor", "viewer"];
