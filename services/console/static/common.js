// Shared console code: labels, API calls with the session cookie, the signed-in user, messages, charts.
export const t = JSON.parse(document.getElementById("labels").textContent);
// <html lang> is the full tag (it-IT, en-GB: date inputs follow it); the labels' language is its first part.
export const lang = document.documentElement.lang.split("-")[0];
// Figures are written in the page's locale, the one the server formats its own figures in (figures.py).
export const locale = document.body.dataset.locale || lang;
// Times are the centre's (Europe/Rome), whatever the zone of the computer showing them.
export const ZONE = "Europe/Rome";

export class ApiError extends Error {
  constructor(status, detail) { super(detail); this.status = status; }
}

export async function api(method, path, body, headers = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json", ...headers } };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  if (method !== "GET") init.headers["Idempotency-Key"] = crypto.randomUUID();
  const response = await fetch(path, init);
  if (response.status === 401 && !location.pathname.startsWith("/console/login")) {
    location.href = `/console/login?lang=${lang}&next=${encodeURIComponent(location.pathname)}`;
    throw new ApiError(401, "sign in first");
  }
  const text = await response.text();
  const data = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, (data && data.detail) || response.statusText);
  return data;
}

let mePromise = null;
export function me() {
  mePromise ??= fetch("/auth/me", { credentials: "same-origin" }).then((r) => (r.ok ? r.json() : null));
  return mePromise;
}

export function flash(message, kind = "info") {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.className = `flash ${kind}`;
  box.hidden = false;
}

// A form's or button's handler that shows its error in the page instead of losing it in the console.
export function guarded(action) {
  return async (event) => {
    event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      flash(error.message, "error");
    }
  };
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

export function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => el("tr", {}, ...cells.map((cell) =>
    typeof cell === "number" ? el("td", { class: "num" }, number(cell))
      : el("td", /^[\d.,]+\s?%$/.test(cell) ? { class: "num" } : {}, cell)))));
}

// Grouping always, as Babel on the server does: ICU alone writes 1420,00 € in Italian but 14.200,00 €.
const money = new Intl.NumberFormat(locale, { style: "currency", currency: "EUR", useGrouping: "always" });
export function euro(amount) {
  return money.format(Number(amount));
}

// `decimals` decimals; with exact = false, only as many of them as the value needs.
export function number(value, decimals = 0, exact = true) {
  return new Intl.NumberFormat(locale, {
    minimumFractionDigits: exact ? decimals : 0, maximumFractionDigits: decimals, useGrouping: "always" }).format(value);
}

export function percent(share) {
  return new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }).format(share);
}

// A day (2026-11-23) or an instant, as the centre's day: 23/11/2026.
export function day(iso) {
  return new Intl.DateTimeFormat(locale, { year: "numeric", month: "numeric", day: "numeric", timeZone: ZONE })
    .format(new Date(iso));
}

// An ISO week (2026-W48) as the day it starts, as the reader writes a day and month: 23/11 (it), 23/11 (en-GB);
// with `long`, 23 nov / 23 Nov. Anything else is returned as it came.
export function week(period, long = false) {
  const match = /^(\d{4})-W(\d{2})$/.exec(period);
  if (!match) return period;
  const jan4 = new Date(Date.UTC(Number(match[1]), 0, 4)); // always in week 1
  const monday = new Date(jan4.getTime() + ((Number(match[2]) - 1) * 7 - ((jan4.getUTCDay() + 6) % 7)) * 86400000);
  return new Intl.DateTimeFormat(locale, { day: "numeric", month: long ? "short" : "numeric", timeZone: "UTC" })
    .format(monday);
}

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// Grouped bars: labels along x, one bar per series; the table-like title makes it readable by screen readers.
export function barChart(container, labels, series, title) {
  const width = Math.max(320, labels.length * (series.length * 10 + 8) + 50), height = 220, base = 190, left = 40;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const root = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, class: "bars" });
  root.append(Object.assign(svg("title", {}), { textContent: title }));
  for (const fraction of [0, 0.5, 1]) {
    const y = base - fraction * 170;
    root.append(svg("line", { x1: left, x2: width, y1: y, y2: y, class: "grid" }));
    root.append(Object.assign(svg("text", { x: left - 4, y: y + 4, class: "axis", "text-anchor": "end" }),
      { textContent: number(max * fraction, 1, false) }));
  }
  const group = series.length * 10 + 8;
  // As many labels along x as fit the drawn width (about 40 px each, so a phone's scaled-down chart stays
  // readable), and never closer than a label's own width in the chart's units (about 6 per character at 10px).
  const fit = Math.max(4, Math.floor((container.clientWidth || width) / 40));
  const longest = Math.max(1, ...labels.map((label) => String(label).length));
  const every = Math.max(Math.ceil(labels.length / Math.min(fit, 26)), Math.ceil((longest * 6 + 8) / group));
  labels.forEach((label, i) => {
    const x0 = left + 4 + i * group;
    series.forEach((s, j) => {
      const h = (s.values[i] / max) * 170;
      const bar = svg("rect", { x: x0 + j * 10, y: base - h, width: 9, height: Math.max(h, 0), class: s.class });
      bar.append(Object.assign(svg("title", {}), { textContent: `${label} · ${s.name}: ${number(s.values[i], 1, false)}` }));
      root.append(bar);
    });
    if (i % every === 0) {
      root.append(Object.assign(svg("text", { x: x0 + group / 2 - 4, y: base + 16, class: "axis", "text-anchor": "middle" }),
        { textContent: label }));
    }
  });
  const legend = el("p", { class: "legend" }, ...series.flatMap((s) => [el("span", { class: `swatch ${s.class}`, "aria-hidden": "true" }), ` ${s.name} `]));
  container.replaceChildren(root, legend);
}

async function showAccount() {
  const who = await me();
  const login = document.getElementById("login-link"), logout = document.getElementById("logout");
  if (who) {
    document.getElementById("who").textContent = `${t.signed_in_as} ${who.name} (${t[`role_${who.role}`] || who.role})`;
    login.hidden = true;
    logout.hidden = false;
    logout.addEventListener("click", async () => {
      await api("POST", "/auth/sign-out");
      location.href = `/console/login?lang=${lang}`;
    });
  }
}
showAccount();
