// Calls that pass through the product (issue 19): whether they do here (GET /telephony), the charity's number as a
// reader writes it, talk times, and following a volunteer's open call as the network starts, answers and ends it.
import { api, locale, ZONE } from "./common.js";
import { productNow } from "./today.js";

export const FOLLOW_MS = 2000;

// {mode: "off" | "twiml" | "sip", number, helpline}; "off" when it cannot be read (then the screens stay as they were).
export async function telephony() {
  try {
    return await api("GET", "/telephony");
  } catch {
    return { mode: "off", number: "", helpline: "" };
  }
}

export const passesThrough = (settings) => settings.mode === "sip" || settings.mode === "twiml";

// An E.164 number spaced as it is read aloud: +39 02 1234 5678, +39 333 123 4567 (no-break spaces: a number never
// breaks across lines); anything else as it came.
export function phoneText(number) {
  const raw = String(number || "").replace(/[\s./-]/g, "");
  const italian = /^\+39(\d{6,11})$/.exec(raw);
  if (!italian) return String(number || "");
  const national = italian[1];
  const head = national.startsWith("0") ? (/^0[26]/.test(national) ? 2 : 3) : 3;  // Milano/Roma 02/06, else 0xx; 3xx mobiles
  const rest = national.slice(head);
  const groups = rest.length <= 7 ? [rest.slice(0, 3), rest.slice(3)] : [rest.slice(0, 4), rest.slice(4)];
  return ["+39", national.slice(0, head), ...groups.filter(Boolean)].join("\u00a0");
}

const clock = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: ZONE });
export const timeOfDay = (iso) => clock.format(new Date(iso));

// A talk time as a clock shows it: 0:07, 2:05, 1:02:05 (the digits of every language these pages speak).
export function talkTime(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600), m = Math.floor((total % 3600) / 60), s = total % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

// The talk so far (or in all, once the line closed) of a call as GET /calls/{id} gives it; null before the answer.
export function talkOf(call) {
  if (!call.connected_at) return null;
  const end = call.hung_up_at ? Date.parse(call.hung_up_at) : productNow().getTime();
  return talkTime(end - Date.parse(call.connected_at));
}

// Reads the volunteer's open call of `kind` every two seconds and hands it (or null) to `receive`; the first read is
// at once. Returns a function that stops following. Errors are given to `failed` (reading goes on).
export function followOpenCall(volunteerId, kind, receive, failed) {
  let stopped = false, timer = null;
  const read = async () => {
    if (stopped) return;
    try {
      receive(await api("GET", `/volunteers/${volunteerId}/open-call?kind=${kind}`));
    } catch (error) {
      failed(error);
    }
    if (!stopped) timer = setTimeout(read, FOLLOW_MS);
  };
  read();
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
  };
  addEventListener("pagehide", stop, { once: true });
  return stop;
}
