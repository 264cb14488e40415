// The product's day, the one every form defaults a date to: the server's clock (base.html writes it into
// <body data-now>; a training installation may run on another day than the wall's) read in Rome — never the
// browser's own day or time zone. The gap to the browser's clock is taken once, when the page arrives, so a page
// left open past midnight moves on to the next day with the product.
import { ZONE } from "./common.js";

const served = Date.parse(document.body.dataset.now || "");
const gap = Number.isNaN(served) ? 0 : served - Date.now();

export function productNow() {
  return new Date(Date.now() + gap);
}

// Today in Rome as a date input writes it (2026-12-03).
export function today() {
  return new Intl.DateTimeFormat("en-CA", { timeZone: ZONE, year: "numeric", month: "2-digit", day: "2-digit" })
    .format(productNow());
}
