// Figures that follow a read model's server-sent events: `live(path, event, receive)` opens the stream of the GET
// JSON route `path` (its `/events` beside it, with the same query) and gives `receive` each state; where EventSource
// is missing or the stream is refused (the browser closes it rather than retrying), it reads `path` every few
// seconds instead. `mode` (an element, optional) says which. Returns a function that stops following.
import { api, flash, t } from "./common.js";

const POLL_MS = 5000;

export function live(path, event, receive, mode = null) {
  const [route, query] = path.split("?");
  let polling = null, source = null;
  const say = (text) => { if (mode) mode.textContent = text; };
  const poll = () => api("GET", path).then(receive).catch((error) => flash(error.message, "error"));
  const startPolling = () => {
    if (polling) return;
    say(t.fu_polling);
    polling = setInterval(poll, POLL_MS);
  };
  if ("EventSource" in window) {
    source = new EventSource(`${route}/events${query ? `?${query}` : ""}`);
    source.addEventListener(event, (message) => {
      say(t.fu_live);
      receive(JSON.parse(message.data));
    });
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CLOSED) startPolling();
    });
  } else {
    startPolling();
  }
  const stop = () => {
    clearInterval(polling);
    polling = null;
    if (source) source.close();
  };
  addEventListener("pagehide", stop, { once: true });
  return stop;
}
