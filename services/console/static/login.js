// Sign in, then go where the role works: a coordinator to the live board, a volunteer who only answers the
// helpline to its screen (a volunteer who calls donors to the calling screen).
import { api, flash, lang, t } from "./common.js";

const HOME = { volunteer: "/console/calling", auditor: "/console/auditor", coordinator: "/console/now",
  viewer: "/console/hours",
  administrator: "/console/admin", // admin: the accounts desk is the administrator's landing page
};

async function homeOf(account) {
  if (account.role === "volunteer" && account.volunteer_id) {
    try {
      const volunteer = await api("GET", `/volunteers/${account.volunteer_id}`);
      if (volunteer.roles.includes("helpline") && !volunteer.roles.includes("outreach")) return "/console/helpline";
    } catch {
      // the calling screen then; it says what to do if the account cannot call
    }
  }
  return HOME[account.role] || "/console/campaigns";
}

document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  try {
    const session = await api("POST", "/auth/sign-in", { email: form.get("email"), password: form.get("password") });
    const next = new URLSearchParams(location.search).get("next");
    const home = next && next.startsWith("/") && !next.startsWith("//") ? next : await homeOf(session.account);
    // `next` may carry its own query (a donor's id, the page's language): the language joins it, once
    const url = new URL(home, location.origin);
    if (!url.searchParams.has("lang")) url.searchParams.set("lang", lang);
    location.href = `${url.pathname}${url.search}${url.hash}`;
  } catch (error) {
    flash(`${t.login_failed}: ${error.message}`, "error");
  }
});
