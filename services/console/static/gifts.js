// Shared by the gift pages (pledge, new pledge, import, overdue): who may act, amounts and days as the office
// types them, checked here with a message in the page's language before the API judges them again.
import { euro, t, ZONE } from "./common.js";
import { today } from "./today.js";

export const ACTORS = ["campaign_manager", "administrator"];
export const READERS = [...ACTORS, "auditor", "coordinator"];
export const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, name) => values[name] ?? "");

export class Invalid extends Error {
  constructor(message, field) { super(message); this.field = field; }
}

// "50", "50.5", "1.234,56" (Italian) or "1234.56" as "50.00", or Invalid saying why (the API says it too).
export function amount(text, field, what = t.gf_amount) {
  let value = String(text ?? "").trim().replace(/\s/g, "").replace(/€/g, "");
  if (value.includes(",")) value = value.replace(/\./g, "").replace(",", ".");
  if (!value) throw new Invalid(fill(t.gf_err_required, { what }), field);
  if (!/^[-+]?\d+(\.\d+)?$/.test(value)) throw new Invalid(fill(t.gf_err_amount, { what }), field);
  if (Number(value) <= 0) throw new Invalid(fill(t.gf_err_amount_positive, { what }), field);
  const decimals = (value.split(".")[1] || "").replace(/0+$/, "");
  if (decimals.length > 2) throw new Invalid(fill(t.gf_err_amount_decimals, { what }), field);
  return Number(value).toFixed(2);
}

export const cents = (text) => Math.round(Number(text) * 100);

// The product's day in Rome, as a date input writes it (2026-12-03): the server's clock, not the browser's.
export { today } from "./today.js";

function romeOffset(day) {
  const hour = Number(new Intl.DateTimeFormat("en-GB", { timeZone: ZONE, hour: "2-digit", hourCycle: "h23" })
    .format(new Date(`${day}T12:00:00Z`)));
  return `+${String(hour - 12).padStart(2, "0")}:00`;
}

// A day typed in a form as the instant the API takes: null (now) for today, noon in Rome for an earlier day.
export function instant(day, field) {
  if (!day) throw new Invalid(fill(t.gf_err_required, { what: t.gf_date }), field);
  if (day > today()) throw new Invalid(t.gf_err_future, field);
  return day === today() ? null : `${day}T12:00:00${romeOffset(day)}`;
}

export function text(value, field, what) {
  const trimmed = String(value ?? "").trim();
  if (!trimmed) throw new Invalid(fill(t.gf_err_required, { what }), field);
  return trimmed;
}

// The import's and the API's reasons, in English, as labels of the page's language where they are known.
const REASONS = [
  [/reference '(.*)' is on line (\d+) too; recorded once/, "gf_why_same_file"],
  [/reference '(.*)' is on line (\d+) for ([\d.]+)/, "gf_why_same_file_other_amount"],
  [/reference '(.*)' was recorded (?:before|by another import at the same time) \(payment/, "gf_why_recorded_before"],
  [/reference '(.*)' was recorded (?:before|by another import at the same time) for ([\d.]+)/, "gf_why_recorded_other"],
  [/must have at most 2 decimals/, "gf_why_decimals"],
  [/must be positive/, "gf_why_not_positive"],
  [/must be a number of euro/, "gf_why_not_number"],
  [/must be at most/, "gf_why_too_big"],
  [/must not be in the future/, "gf_why_future"],
  [/received_at must (?:be a date|carry a time zone)/, "gf_why_date"],
  [/reference must be 1 to 140/, "gf_why_reference"],
  [/payment method must be one of/, "gf_why_method"],
  [/currency must be EUR/, "gf_why_currency"],
  [/donor_id or donor_name is required/, "gf_why_no_donor"],
  [/either donor_id .* or the new donor/, "gf_why_donor_twice"],
  [/^donor_email/, "gf_why_email"],
  [/^donor_(?:phone|tax_code|name)/, "gf_why_donor_details"],
  [/fund_id must be an id|donor_id must be an id|campaign_id must be an id/, "gf_why_id"],
  [/was closed|is closed/, "gf_why_fund_closed"],
  [/was erased/, "gf_why_erased"],
  [/not found/, "gf_why_not_found"],
  [/was already recorded for ([\d.]+) on pledge/, "gf_why_reference_taken"],
  [/exceeds the ([\d.]+) of payment .* not yet reversed/, "gf_why_reversal_too_big"],
  [/exceeds the ([\d.]+) still due/, "gf_why_overpayment"],
];

// Which of a reason's values are sums of money ("50.00" in the API's words), written in the reader's format.
const MONEY = { gf_why_same_file_other_amount: "c", gf_why_recorded_other: "b", gf_why_reference_taken: "a",
  gf_why_reversal_too_big: "a", gf_why_overpayment: "a" };

export function reason(serverText) {
  for (const [pattern, key] of REASONS) {
    const match = pattern.exec(serverText);
    if (!match || !t[key]) continue;
    const values = { a: match[1], b: match[2], c: match[3] };
    if (MONEY[key]) values[MONEY[key]] = euro(values[MONEY[key]]);
    return fill(t[key], values);
  }
  return serverText;
}
