"""Console pages: HTML shells rendered on the server; their data comes from the API under the caller's role.

The public transparency page is rendered whole on the server from the public read models, so it works
without JavaScript and carries no personal data.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.calls import contract
from services.console import figures, i18n
from services.identity.auth import API_KEY_HEADER, SESSION_COOKIE
from services.identity.domain import GRANTABLE, Actor
from services.identity.policy import may, reachable_pages
from services.kernel.readmodel import ReadStore
from services.privacy.domain import CHANNELS, SUGGESTED_PURPOSES
from services.projections import catalogue, ledger, transparency
from services.projections.ledger_api import Context

HERE = Path(__file__).parent
STATIC = HERE / "static"
_templates = Environment(loader=FileSystemLoader(HERE / "templates"), autoescape=select_autoescape(["html"]))

router = APIRouter(include_in_schema=False)
Lang = Annotated[str | None, Query(pattern="^(it|en)$")]


def _page(request: Request, template: str, lang: str | None, title: str, **values: Any) -> HTMLResponse:
    language = i18n.choose(lang, request.headers.get("accept-language"))
    labels = i18n.labels(language)
    who = _signed_in(request)
    html = _templates.get_template(template).render(
        t=labels, lang=language, f=figures.for_language(language), title=labels[title],
        labels_json=json.dumps(labels), path=request.url.path, who=who,
        reachable=reachable_pages(who.role if who else None), now=_product_now(request).isoformat(), **values)
    return HTMLResponse(html, headers={"Content-Language": language, "Cache-Control": "no-store"})


def _product_now(request: Request) -> datetime:
    """The product's clock (a training installation may run on another day than the wall's): forms default to its
    day in Rome, never to the browser's own (static/today.js)."""
    product = getattr(request.app.state, "product", None)
    return product.clock.now() if product is not None else datetime.now(UTC)


# The pages that are plain shells: (path, template, title label, what it is for). Their data comes from the API
# under the caller's role; the pages with values of their own (a path's id, the public figures) follow.
SHELLS: tuple[tuple[str, str, str, str], ...] = (
    ("/console/campaigns", "campaigns.html", "campaigns_title",
     "Campaign list, creation, imports and launch (campaign managers)."),
    ("/console/login", "login.html", "login_title",
     "Sign in; the session is kept in an HttpOnly cookie."),
    ("/console/calling", "calling.html", "calling_title",
     "The volunteer's calling screen."),
    ("/console/hours", "hours.html", "hours_title",
     "Volunteer hours per volunteer and for the centre, week by week."),
    ("/console/auditor", "auditor.html", "auditor_title",
     "Run the ledger verification and see the result."),
    ("/console/helpline", "helpline.html", "helpline_title",
     "The volunteer's helpline screen: answer, follow the protocol, redirect, note, end; the directory."),
    ("/console/protocols", "protocols.html", "protocols_title",
     "The protocol editor: published versions read-only; draft, preview and publish the next one."),
    ("/console/shifts", "shifts.html", "shifts_title",
     "The week: slots by week or day, patterns and single slots (coordinators), sign-ups (volunteers), coverage."),
    ("/console/welcome", "welcome.html", "welcome_title",
     "An approved volunteer chooses their password through the one-time link (the token stays in the page)."),
    ("/console/volunteers", "volunteers.html", "desk_title",
     "The coordinator's desk: applications to decide and the roster with filters."),
    ("/console/now", "now.html", "now_title",
     "The live board: who is on a call, idle or forgot to clock out; the next hour's empty places."),
    ("/console/funds", "funds.html", "fu_title",
     "The funds desk: every fund's raised, reversed, disbursed and balance, live; create, rename, close."),
    ("/console/regular", "regular.html", "rg_title",
     "Regular giving: expected against received income, a donor's commitments and their schedule (campaign "
     "managers keep them; auditors read)."),
    ("/console/pledges/new", "pledge_new.html", "gf_new_title",
     "A new pledge for a donor (?donor=id): money at once or in instalments, or goods."),
    ("/console/gifts/import", "gifts_import.html", "gf_import_title",
     "Upload a bank, PayPal, card or SEPA export; check its per-line report, then import it."),
    ("/console/gifts/overdue", "gifts_overdue.html", "gf_overdue_title",
     "Instalments due and unpaid, by age, each linked to its pledge."),
    ("/console/donors", "donors.html", "dn_title",
     "The donations office's donor search (name, phone, e-mail, tax code) and a new donor with consents."),
    ("/console/receipts", "receipts.html", "rc_title",
     "The year's numbered receipts (donors by id): each as a PDF for the donor, the whole year as a ZIP."),
)


def _shell(template: str, title: str) -> Any:
    def page(request: Request, lang: Lang = None) -> HTMLResponse:
        return _page(request, template, lang, title)
    return page


for _path, _template, _title, _purpose in (("/console", *SHELLS[0][1:]), *SHELLS):
    router.add_api_route(_path, _shell(_template, _title), methods=["GET"], response_class=HTMLResponse,
                         description=_purpose, name=_template.removesuffix(".html") + "_page")


@router.get("/")
def transparency_page(request: Request, ctx: Annotated[Context, Depends(Context)], lang: Lang = None) -> HTMLResponse:
    """The public transparency page: per fund raised, disbursed, balance, purposes, months; the signed head."""
    console: ReadStore = request.app.state.read_stores["console"]
    funds = []
    for row in transparency.funds(ctx.transparency):
        months = transparency.fund_months(ctx.transparency, row["fund_id"])
        spent = [{"date": d["disbursed_at"], "amount": ledger.euro(int(d["amount_cents"])),
                  "purpose": d["purpose"]} for d in catalogue.disbursements(console, row["fund_id"])]
        funds.append({"name": row["name"], "months": months, "spent": spent,
                      "totals": months[-1] if months else None, **_sums(months)})
    head = ledger.head(ctx.ledger, ctx.sealed())
    return _page(request, "transparency.html", lang, "transparency_title", funds=funds,
                 head={**head.body(), "signature": ledger.sign(head, ctx.key)})


def _sums(months: list[dict[str, object]]) -> dict[str, str]:
    def total(key: str) -> str:
        return ledger.euro(sum(ledger.cents(str(m[key])) for m in months))
    return {"raised": total("raised"), "disbursed": total("disbursed"), "reversed": total("reversed"),
            "balance": str(months[-1]["balance"]) if months else "0.00"}






@router.get("/console/campaigns/{campaign_id}")
def dashboard_page(request: Request, campaign_id: UUID, lang: Lang = None) -> HTMLResponse:
    """A campaign's live dashboard."""
    return _page(request, "dashboard.html", lang, "dashboard", campaign_id=str(campaign_id))










# sign-up and the volunteers' desk
@router.get("/join")
def join_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """The public form to apply as a volunteer: no account needed."""
    return _page(request, "join.html", lang, "join_title", consent_version=contract.JOIN_CONSENT_VERSION,
                 roles=contract.JOIN_ROLES, days=contract.JOIN_DAYS, parts=contract.JOIN_PARTS)






@router.get("/console/volunteers/{volunteer_id}")
def volunteer_page(request: Request, volunteer_id: UUID, lang: Lang = None) -> HTMLResponse:
    """One volunteer: roles, status, training, shifts, hours by week and the calls they handled."""
    return _page(request, "volunteer.html", lang, "desk_volunteer_title", volunteer_id=str(volunteer_id))
# (end of sign-up and the volunteers' desk)


# directory
@router.get("/console/directory")
def directory_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """The directory of useful numbers: search it (volunteers too); add, edit and import it (coordinators)."""
    return _page(request, "directory.html", lang, "dir_title", categories=contract.DIRECTORY_CATEGORIES)
# (end of directory)
# access
def _signed_in(request: Request) -> Actor | None:
    """Who asks for the page (the console's session cookie, else a bearer token or API key), or None: the
    navigation shows the pages whose data they may read. An unknown or expired credential is nobody."""
    identity = getattr(request.app.state, "identity", None)
    if identity is None:
        return None
    key = request.headers.get(API_KEY_HEADER)
    if key:
        found: Actor | None = identity.key_actor(key)
        return found
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token if scheme.lower() == "bearer" and token else request.cookies.get(SESSION_COOKIE, "")
    return identity.session_actor(token) if token else None
# (end of access)


@router.get("/console/funds/{fund_id}")
def fund_page(request: Request, fund_id: UUID, lang: Lang = None) -> HTMLResponse:
    """One fund, live: month by month as on the public page, its disbursements, and a disbursement to record."""
    return _page(request, "fund.html", lang, "fu_fund_title", fund_id=str(fund_id))


@router.get("/console/privacy")
def privacy_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """The privacy desk: a person's export, consents and erasure (administrators); the access trail (auditors too)."""
    return _page(request, "privacy.html", lang, "pv_title", purposes=SUGGESTED_PURPOSES, channels=CHANNELS)


@router.get("/console/pledges/{pledge_id}")
def pledge_page(request: Request, pledge_id: UUID, lang: Lang = None) -> HTMLResponse:
    """A pledge: status, instalments, payments, reversals, goods; record a payment, reverse one, cancel."""
    return _page(request, "pledge.html", lang, "gf_pledge_title", pledge_id=str(pledge_id))


@router.get("/console/donors/{donor_id}")
def donor_page(request: Request, donor_id: UUID, lang: Lang = None) -> HTMLResponse:
    """One donor: details (an access), pledges with payments and goods, consents; the access trail for those who
    may read it."""
    who = _signed_in(request)
    role = who.role if who else None
    return _page(request, "donor.html", lang, "dn_donor_title", donor_id=donor_id,
                 show_trail=may(role, "GET", "/privacy/access-log"),
                 show_money=may(role, "GET", "/donors/{donor_id}/receipts"))  # receipts and regular gifts
@router.get("/console/admin")
def admin_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """The administrator's desk: accounts (create by invitation, role, disable), API keys and the change trail."""
    return _page(request, "admin.html", lang, "adm_title", roles=GRANTABLE)


# thank-you letters
@router.get("/console/thanks")
def thanks_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """Thank-you letters and receipts by e-mail: the per-fund plan, receipt settings, a donor's receipts sent now."""
    return _page(request, "thanks.html", lang, "th_title")
# (end of thank-you letters)
# e-mail pages
def _may_read_outbox(request: Request) -> bool:
    who = _signed_in(request)
    return may(who.role if who else None, "GET", "/mail/outbox")


@router.get("/console/mail")
def mail_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """E-mail templates: the list, a new one, the editor with a live preview (a donor's data or sample data), publish;
    the campaigns' mailings, each linked to its progress."""
    return _page(request, "mail.html", lang, "ml_title", outbox_link=_may_read_outbox(request))


@router.get("/console/mail/outbox")
def mail_outbox_page(request: Request, lang: Lang = None) -> HTMLResponse:
    """The local outbox (no relay configured): the newest messages, and one shown (its HTML in a sandboxed frame)."""
    return _page(request, "mail_outbox.html", lang, "ml_outbox_title", outbox_link=_may_read_outbox(request))


@router.get("/console/mail/mailings/{mailing_id}")
def mailing_page(request: Request, mailing_id: UUID, lang: Lang = None) -> HTMLResponse:
    """A mailing's progress: counts as it goes, the relay's state, a preview with a real member, test send and send."""
    return _page(request, "mailing.html", lang, "ml_mailing_title", mailing_id=str(mailing_id),
                 outbox_link=_may_read_outbox(request))
# (end of e-mail pages)
