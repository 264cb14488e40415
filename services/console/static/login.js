// Sign in, then go where the role works.
import { api, flash, lang, t } from "./common.js";

const HOME = { volunteer: "/console/calling", auditor: "/console/auditor", coordinator: "/console/hours",
  viewer: "/console/hours" };

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const session = await api("POST", "/auth/sign-in", { email: form.get("email"), password: form.get("password") });
    const next = new URLSearchParams(location.search).get("next");
    const home = HOME[session.account.role] || "/console/campaigns";
    location.href = `${next && next.startsWith("/") && !next.startsWith("//") ? next : home}?lang=${lang}`;
  } catch (error) {
    flash(`${t.login_failed}: ${error.message}`, "error");
  }
});
