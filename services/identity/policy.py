"""The product's access policy: which roles may call each route. Administrators may call every route.

One table, read by the HTTP edge for every request (see identity.auth.enforce). A route missing here is
for administrators only, and tests/security/test_routes_by_role.py fails until it is classified.
"""

from __future__ import annotations

from services.identity.auth import Rule
from services.identity.domain import GRANTABLE, Role

PUBLIC = frozenset({Role.PUBLIC.value})
SIGNED_IN = frozenset(GRANTABLE)
CM, CO, V = Role.CAMPAIGN_MANAGER.value, Role.COORDINATOR.value, Role.VOLUNTEER.value
AU, VI = Role.AUDITOR.value, Role.VIEWER.value


def _rule(roles: str, own: str | None = None) -> Rule:
    if roles == "public":
        return Rule(PUBLIC)
    if roles == "signed-in":
        return Rule(SIGNED_IN)
    return Rule(frozenset(roles.split()) - {"admin"} | {Role.ADMINISTRATOR.value}, own)


# (method, path): roles besides administrator, space-separated; "own" = a volunteer only for themselves.
_TABLE: dict[tuple[str, str], tuple[str, str | None]] = {
    # operations and authentication
    ("GET", "/health"): ("public", None),
    ("GET", "/metrics"): ("public", None),
    ("POST", "/auth/sign-in"): ("public", None),
    ("POST", "/auth/sign-out"): ("signed-in", None),
    ("GET", "/auth/me"): ("signed-in", None),
    # calls: volunteers, shifts, calls, protocols, directory
    ("POST", "/volunteers"): (CO, None),
    ("GET", "/volunteers/{volunteer_id}"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/volunteers/{volunteer_id}/training"): (CO, None),
    ("POST", "/volunteers/{volunteer_id}/status"): (CO, None),
    ("POST", "/volunteers/{volunteer_id}/clock-in"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/volunteers/{volunteer_id}/clock-out"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/volunteers/{volunteer_id}/clock-out-corrections"): (CO, None),
    ("GET", "/volunteers/{volunteer_id}/presence"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/shifts"): (CO, None),
    ("GET", "/shifts/{shift_id}"): (f"{CO} {V}", None),
    ("POST", "/shifts/{shift_id}/sign-ups"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/shifts/{shift_id}/sign-ups/{volunteer_id}/cancel"): (f"{CO} {V}", "volunteer_id"),
    ("POST", "/calls"): (f"{CO} {V}", "volunteer_id"),
    ("GET", "/calls/{call_id}"): (CO, None),
    ("POST", "/calls/{call_id}/connect"): (f"{CO} {V}", None),
    ("POST", "/calls/{call_id}/end"): (f"{CO} {V}", None),
    ("POST", "/calls/{call_id}/answers"): (f"{CO} {V}", None),
    ("POST", "/calls/{call_id}/redirect"): (f"{CO} {V}", None),
    ("POST", "/protocols"): (CO, None),
    ("POST", "/protocols/{protocol_id}/versions"): (CO, None),
    ("GET", "/protocols/{protocol_id}"): (f"{CO} {V}", None),
    ("POST", "/directory/imports"): (CO, None),
    ("GET", "/directory/municipalities/{istat_code}"): (f"{CO} {V}", None),
    ("GET", "/directory"): (f"{CO} {V}", None),
    # donations
    ("POST", "/donors"): (f"{CM} {CO} {V}", None),
    ("GET", "/donors/{donor_id}"): (f"{CM} {CO}", None),
    ("POST", "/funds"): (CM, None),
    ("GET", "/funds/{fund_id}"): (f"{CM} {CO} {AU} {VI}", None),
    ("POST", "/funds/{fund_id}/rename"): (CM, None),
    ("POST", "/funds/{fund_id}/close"): (CM, None),
    ("POST", "/funds/{fund_id}/disbursements"): (CM, None),
    ("POST", "/pledges"): (f"{CM} {CO} {V}", "volunteer_id"),
    ("GET", "/pledges/{pledge_id}"): (f"{CM} {CO} {AU}", None),
    ("POST", "/pledges/{pledge_id}/payments"): (CM, None),
    ("POST", "/pledges/{pledge_id}/payments/{payment_id}/reversals"): (CM, None),
    ("POST", "/pledges/{pledge_id}/cancel"): (CM, None),
    ("POST", "/pledges/{pledge_id}/goods"): (CM, None),
    ("POST", "/donations/import"): (CM, None),
    # campaigns, dialer, suppression
    ("POST", "/campaigns"): (CM, None),
    ("GET", "/campaigns"): (f"{CM} {CO} {V} {VI}", None),
    ("GET", "/campaigns/{campaign_id}/policy"): (f"{CM} {CO} {V} {VI}", None),
    ("GET", "/campaigns/{campaign_id}/contacts"): (f"{CM} {CO}", None),
    ("GET", "/campaigns/{campaign_id}"): (f"{CM} {CO} {V} {VI}", None),
    ("POST", "/campaigns/{campaign_id}/script"): (CM, None),
    ("POST", "/campaigns/{campaign_id}/launch"): (CM, None),
    ("POST", "/campaigns/{campaign_id}/pause"): (CM, None),
    ("POST", "/campaigns/{campaign_id}/resume"): (CM, None),
    ("POST", "/campaigns/{campaign_id}/complete"): (CM, None),
    ("POST", "/campaigns/{campaign_id}/contacts/import"): (CM, None),
    ("GET", "/campaigns/{campaign_id}/imports"): (f"{CM} {CO}", None),
    ("GET", "/campaigns/{campaign_id}/contacts/{contact_id}/eligibility"): (f"{CM} {CO}", None),
    ("GET", "/campaigns/{campaign_id}/eligibility"): (f"{CM} {CO}", None),
    ("GET", "/campaigns/{campaign_id}/forecast"): (f"{CM} {CO}", None),
    ("POST", "/campaigns/{campaign_id}/dialer/next"): (f"{CM} {CO} {V}", "volunteer_id"),
    ("POST", "/campaigns/{campaign_id}/contacts/{contact_id}/lease/renew"): (f"{CM} {CO} {V}", "volunteer_id"),
    ("POST", "/campaigns/{campaign_id}/contacts/{contact_id}/lease/release"): (f"{CM} {CO} {V}", "volunteer_id"),
    ("POST", "/suppression/opt-outs"): (f"{CM} {CO} {V}", None),
    ("POST", "/suppression/consents"): (f"{CM} {CO}", None),
    ("GET", "/suppression/persons/{person_id}"): (f"{CM} {CO}", None),
    ("POST", "/suppression/register"): (CM, None),
    # read models, ledger, transparency
    ("GET", "/stats/roster"): (f"{CO} {VI}", None),
    ("GET", "/stats/volunteers/{volunteer_id}/hours"): (f"{CO} {VI} {V}", "volunteer_id"),
    ("GET", "/stats/hours"): (f"{CO} {VI} {AU}", None),
    ("GET", "/stats/outcomes"): (f"{CM} {CO} {VI}", None),
    ("GET", "/stats/calls"): (f"{CM} {CO} {VI}", None),
    ("GET", "/stats/campaigns/{campaign_id}/progress"): (f"{CM} {CO} {VI}", None),
    ("GET", "/ledger"): (f"{AU} {CM}", None),
    ("GET", "/ledger/head"): ("public", None),
    ("GET", "/ledger/public-key"): ("public", None),
    ("GET", "/ledger/balances"): (f"{AU} {CM} {VI}", None),
    ("GET", "/ledger/verify"): (AU, None),
    ("POST", "/ledger/verify"): (AU, None),
    ("GET", "/transparency/funds"): ("public", None),
    ("GET", "/transparency/funds/{fund_id}"): ("public", None),
    ("GET", "/transparency/campaigns/{campaign_id}"): ("public", None),
    ("GET", "/receipts/{year}"): (f"{AU} {CM}", None),
    # web console data (pages and static files are public shells: their data comes from these routes)
    ("GET", "/console/api/campaigns"): (f"{CM} {CO} {V} {VI}", None),
    ("GET", "/console/api/campaigns/{campaign_id}/callback-slots"): (f"{CM} {CO} {V}", None),
    ("GET", "/console/api/campaigns/{campaign_id}/volunteers"): (f"{CM} {CO} {VI}", None),
    ("GET", "/console/api/hours"): (f"{CO} {VI} {AU}", None),
    ("GET", "/console/api/hours.csv"): (f"{CO} {VI} {AU}", None),
    # helpline and protocols: data
    ("GET", "/calls"): (f"{CO} {V}", None),  # a volunteer only their own: the use case checks volunteer_id
    ("GET", "/volunteers/{volunteer_id}/open-call"): (f"{CO} {V}", "volunteer_id"),
    ("GET", "/protocols"): (f"{CO} {V}", None),
    # (end of helpline and protocols: data)
    # shifts and coverage: data
    ("GET", "/shifts"): (f"{CO} {V}", None),
    ("GET", "/shifts/coverage"): (f"{CO} {V}", None),
    ("POST", "/shifts/patterns"): (CO, None),
    ("POST", "/shifts/{shift_id}/cancel"): (CO, None),
    ("POST", "/shifts/{shift_id}/edit"): (CO, None),
    # (end of shifts and coverage: data)
    # sign-up and the volunteers' desk: data
    ("POST", "/applications"): ("public", None),
    ("GET", "/applications"): (CO, None),
    ("POST", "/applications/{application_id}/approve"): (CO, None),
    ("POST", "/applications/{application_id}/decline"): (CO, None),
    ("POST", "/auth/invitations/{token}"): ("public", None),
    ("GET", "/console/api/volunteers"): (CO, None),
    ("GET", "/console/api/volunteers/{volunteer_id}"): (CO, None),
    ("GET", "/volunteers/{volunteer_id}/invitation"): (CO, None),
    ("POST", "/volunteers/{volunteer_id}/invitation"): (CO, None),
    # (end of sign-up and the volunteers' desk: data)
    # live board: data
    # The state and its stream carry volunteer ids only (a viewer watches without names); names are CO's.
    ("GET", "/console/api/board"): (f"{CO} {VI}", None),
    ("GET", "/console/api/board/events"): (f"{CO} {VI}", None),
    ("GET", "/console/api/board/names"): (CO, None),
    # (end of live board: data)
    # protocols: data
    # Drafts are their editors' (coordinators; experts are coordinators until an expert role exists): a helpline
    # volunteer reads published versions only.
    ("GET", "/protocols/{protocol_id}/draft"): (CO, None),
    ("PUT", "/protocols/{protocol_id}/draft"): (CO, None),
    ("DELETE", "/protocols/{protocol_id}/draft"): (CO, None),
    ("POST", "/protocols/{protocol_id}/draft/publish"): (CO, None),
    # (end of protocols: data)
    # directory: data
    # Coordinators keep the directory (there is no expert account role); volunteers read and search it.
    ("GET", "/directory/municipalities"): (f"{CO} {V}", None),
    ("GET", "/directory/categories"): (f"{CO} {V}", None),
    ("POST", "/directory/imports/preview"): (CO, None),
    ("POST", "/directory/municipalities"): (CO, None),
    ("POST", "/directory/municipalities/{istat_code}/rename"): (CO, None),
    ("POST", "/directory/municipalities/{istat_code}/numbers"): (CO, None),
    ("POST", "/directory/municipalities/{istat_code}/numbers/remove"): (CO, None),
    # (end of directory: data)
    # funds: data
    # Figures and documents of the funds, no personal data: whoever may read a fund (GET /funds/{fund_id}) reads them.
    ("GET", "/console/api/funds"): (f"{CM} {CO} {AU} {VI}", None),
    ("GET", "/console/api/funds/events"): (f"{CM} {CO} {AU} {VI}", None),
    ("GET", "/console/api/funds/{fund_id}"): (f"{CM} {CO} {AU} {VI}", None),
    ("GET", "/console/api/funds/{fund_id}/events"): (f"{CM} {CO} {AU} {VI}", None),
    # (end of funds: data)
    # regular: data
    # Regular giving is the donations office's (campaign managers); auditors read commitments and the projection.
    ("POST", "/commitments"): (CM, None),
    ("GET", "/commitments/{commitment_id}"): (f"{CM} {AU}", None),
    ("GET", "/donors/{donor_id}/commitments"): (f"{CM} {AU}", None),
    ("POST", "/commitments/{commitment_id}/pause"): (CM, None),
    ("POST", "/commitments/{commitment_id}/resume"): (CM, None),
    ("POST", "/commitments/{commitment_id}/change"): (CM, None),
    ("POST", "/commitments/{commitment_id}/end"): (CM, None),
    ("GET", "/commitments/expected-income"): (f"{CM} {AU}", None),
    # (end of regular: data)
    # privacy: data
    # The privacy desk is the administrators' (routes under /privacy/ are theirs by default). Auditors may read the
    # access trail: ids, roles, purposes and field names, never a value; checking who read personal data is theirs.
    ("GET", "/privacy/access"): (AU, None),
    # (end of privacy: data)
    # donors: data
    # The office finds donors and reads their records (campaign managers; coordinators as for GET /donors/{id}):
    # every donor a search lists, and every record opened, is a read in the access trail. Pledges carry no names.
    ("GET", "/donors"): (f"{CM} {CO}", None),
    ("GET", "/donors/{donor_id}/record"): (f"{CM} {CO}", None),
    ("GET", "/donors/{donor_id}/pledges"): (f"{CM} {CO} {AU}", None),
    ("GET", "/donors/{donor_id}/consents"): (f"{CM} {CO}", None),
    # (end of donors: data)
    # mail: data
    # Mailings and consents are the campaign managers'; coordinators read progress. The one-click unsubscribe is
    # public: its signed token is the proof (GET only confirms, POST acts).
    ("POST", "/mail/mailings"): (CM, None),
    ("GET", "/mail/mailings"): (f"{CM} {CO}", None),
    ("GET", "/mail/mailings/{mailing_id}"): (f"{CM} {CO}", None),
    ("GET", "/mail/mailings/{mailing_id}/preview"): (CM, None),
    ("POST", "/mail/mailings/{mailing_id}/test"): (CM, None),
    ("POST", "/mail/mailings/{mailing_id}/send"): (CM, None),
    ("GET", "/mail/people/{person_id}"): (f"{CM} {CO}", None),
    ("POST", "/mail/people/{person_id}/consent"): (f"{CM} {CO}", None),
    ("POST", "/mail/people/{person_id}/consent/withdrawal"): (f"{CM} {CO}", None),
    ("GET", "/mail/unsubscribe/{token}"): ("public", None),
    ("POST", "/mail/unsubscribe/{token}"): ("public", None),
    # (end of mail: data)
    # web console pages: HTML shells without data, and the public transparency page (no personal data)
    ("GET", "/"): ("public", None),
    ("GET", "/console"): ("public", None),
    ("GET", "/console/login"): ("public", None),
    ("GET", "/console/campaigns"): ("public", None),
    ("GET", "/console/campaigns/{campaign_id}"): ("public", None),
    ("GET", "/console/calling"): ("public", None),
    ("GET", "/console/hours"): ("public", None),
    ("GET", "/console/auditor"): ("public", None),
    # helpline and protocols: pages
    ("GET", "/console/helpline"): ("public", None),
    ("GET", "/console/protocols"): ("public", None),
    # (end of helpline and protocols: pages)
    # shifts and coverage: pages
    ("GET", "/console/shifts"): ("public", None),
    # (end of shifts and coverage: pages)
    # sign-up and the volunteers' desk: pages
    ("GET", "/join"): ("public", None),
    ("GET", "/console/welcome"): ("public", None),
    ("GET", "/console/volunteers"): ("public", None),
    ("GET", "/console/volunteers/{volunteer_id}"): ("public", None),
    # (end of sign-up and the volunteers' desk: pages)
    # live board: pages
    ("GET", "/console/now"): ("public", None),
    # (end of live board: pages)
    # directory: pages
    ("GET", "/console/directory"): ("public", None),
    # (end of directory: pages)
    # funds: pages
    ("GET", "/console/funds"): ("public", None),
    ("GET", "/console/funds/{fund_id}"): ("public", None),
    # (end of funds: pages)
    # regular: pages
    ("GET", "/console/regular"): ("public", None),
    # (end of regular: pages)
    # privacy: pages
    ("GET", "/console/privacy"): ("public", None),
    # (end of privacy: pages)
    # gifts: data
    # The donations office (campaign managers) acts; auditors read overdue instalments as they read pledges.
    ("POST", "/donations/import/preview"): (CM, None),
    ("GET", "/instalments/overdue"): (f"{CM} {AU}", None),
    # (end of gifts: data)
    # gifts: pages
    ("GET", "/console/pledges/new"): ("public", None),
    ("GET", "/console/pledges/{pledge_id}"): ("public", None),
    ("GET", "/console/gifts/import"): ("public", None),
    ("GET", "/console/gifts/overdue"): ("public", None),
    # (end of gifts: pages)
    # donors: pages
    ("GET", "/console/donors"): ("public", None),
    ("GET", "/console/donors/{donor_id}"): ("public", None),
    # (end of donors: pages)
    # admin: data
    # The accounts desk: accounts, API keys and their trail are the administrators' alone ("admin" names nobody else).
    ("GET", "/auth/accounts"): ("admin", None),
    ("POST", "/auth/accounts"): ("admin", None),
    ("POST", "/auth/accounts/{account_id}/role"): ("admin", None),
    ("POST", "/auth/accounts/{account_id}/disable"): ("admin", None),
    ("POST", "/auth/accounts/{account_id}/enable"): ("admin", None),
    ("POST", "/auth/accounts/{account_id}/invitation"): ("admin", None),
    ("GET", "/auth/api-keys"): ("admin", None),
    ("POST", "/auth/api-keys"): ("admin", None),
    ("POST", "/auth/api-keys/{key_id}/revoke"): ("admin", None),
    ("GET", "/auth/account-changes"): ("admin", None),
    # (end of admin: data)
    # admin: pages
    ("GET", "/console/admin"): ("public", None),
    # (end of admin: pages)
    # receipts: data
    # The documents name the donor (from the vault, each read recorded): the roles that already read the receipts.
    ("GET", "/receipts/{year}/{number}.pdf"): (f"{AU} {CM}", None),
    ("GET", "/receipts/{year}.zip"): (f"{AU} {CM}", None),
    ("GET", "/console/api/receipts/{year}"): (f"{AU} {CM}", None),
    # (end of receipts: data)
    # receipts: pages
    ("GET", "/console/receipts"): ("public", None),
    # (end of receipts: pages)
    # live: data
    # the campaign dashboard's progress as server-sent events: whoever reads the progress may follow it
    ("GET", "/stats/campaigns/{campaign_id}/progress/events"): (f"{CM} {CO} {VI}", None),
    # expected income and overdue instalments followed live: the same readers as their JSON routes
    ("GET", "/commitments/expected-income/events"): (f"{CM} {AU}", None),
    ("GET", "/instalments/overdue/events"): (f"{CM} {AU}", None),
    # (end of live: data)
    # donor page: data
    # A donor's receipts (numbers and PDF paths, no names): the roles that read the receipts. Their campaign contacts
    # and call outcomes (reads the donor's phone from the vault to find them: an access event): the donor page's
    # readers, as GET /donors/{donor_id}/record.
    ("GET", "/donors/{donor_id}/receipts"): (f"{AU} {CM}", None),
    ("GET", "/donors/{donor_id}/contacts"): (f"{CM} {CO}", None),
    # (end of donor page: data)
    # telephony: the SIP proxy's questions and reports are public to accounts — the proxy is no account and proves
    # itself with the shared secret (ANGELI_TELEPHONY_SECRET), checked by the route before anything is read
    ("POST", "/telephony/sip/inbound"): ("public", None),
    ("POST", "/telephony/sip/legs"): ("public", None),
    ("POST", "/telephony/sip/outbound"): ("public", None),
    ("GET", "/telephony"): ("signed-in", None),
    ("GET", "/telephony/live"): (CO, None),
    # (end of telephony: data)
    # twiml: data
    # The TwiML provider's webhooks are public to accounts: no account signs them, their authentication is the
    # provider's X-Twilio-Signature, verified before anything is read (services/kernel/webhooks.py; 403 otherwise).
    ("POST", "/telephony/twiml/voice"): ("public", None),
    ("POST", "/telephony/twiml/confirm"): ("public", None),
    ("POST", "/telephony/twiml/dial-action"): ("public", None),
    ("POST", "/telephony/twiml/status"): ("public", None),
    ("POST", "/telephony/twiml/recorded"): ("public", None),
    ("POST", "/telephony/twiml/bridge"): ("public", None),
    # click-to-call: whoever may take a contact from the dialer, a volunteer only as themselves
    ("POST", "/campaigns/{campaign_id}/contacts/{contact_id}/call"): (f"{CM} {CO} {V}", "volunteer_id"),
    # (end of twiml: data)
    # thank-you letters: data
    # The thank-you plan and receipts by e-mail: the office that runs mailings acts (campaign managers), coordinators
    # read the plan and one payment's thank-you (ids and states, no personal data).
    ("GET", "/mail/thanks"): (f"{CM} {CO}", None),
    ("PUT", "/mail/thanks/funds/{fund_id}"): (CM, None),
    ("PUT", "/mail/thanks/receipts"): (CM, None),
    ("GET", "/mail/thanks/payments/{payment_id}"): (f"{CM} {CO}", None),
    ("POST", "/mail/receipts"): (CM, None),
    # (end of letters: data)
    # thank-you letters: pages
    ("GET", "/console/thanks"): ("public", None),
    # (end of letters: pages)
    # e-mail pages: data
    # E-mail templates: the campaign managers write them; coordinators and auditors read them. A draft's preview
    # reads a donor's fields from the vault (an access with purpose e-mail): the writers only. The local outbox holds
    # whole messages (names, addresses, merged text): the writers only.
    ("GET", "/mail/templates"): (f"{CM} {CO} {AU}", None),
    ("POST", "/mail/templates"): (CM, None),
    ("GET", "/mail/templates/{template_id}"): (f"{CM} {CO} {AU}", None),
    ("POST", "/mail/templates/{template_id}/versions"): (CM, None),
    ("POST", "/mail/templates/{template_id}/rename"): (CM, None),
    ("POST", "/mail/templates/{template_id}/retire"): (CM, None),
    ("POST", "/mail/templates/{template_id}/preview"): (CM, None),
    ("GET", "/mail/outbox"): (CM, None),
    ("GET", "/mail/outbox/{name}"): (CM, None),
    ("GET", "/console/mail"): ("public", None),
    ("GET", "/console/mail/outbox"): ("public", None),
    ("GET", "/console/mail/mailings/{mailing_id}"): ("public", None),
    # (end of pages: data)
}

POLICY: dict[tuple[str, str], Rule] = {route: _rule(roles, own) for route, (roles, own) in _TABLE.items()}

# access
# The console's pages are public shells; what makes one worth a link in a person's navigation is whether they may
# read its data. Each page names the data route(s) its screen is built on, and the table above answers for the
# role: a page is reachable when any of its routes admits the role. No second list of roles.
PAGE_DATA: dict[str, tuple[tuple[str, str], ...]] = {
    "/": (("GET", "/transparency/funds"),),
    "/console/campaigns": (("GET", "/stats/campaigns/{campaign_id}/progress"),),
    "/console/calling": (("POST", "/campaigns/{campaign_id}/dialer/next"),),
    "/console/hours": (("GET", "/console/api/hours"), ("GET", "/stats/volunteers/{volunteer_id}/hours")),
    "/console/auditor": (("GET", "/ledger/verify"),),
    "/console/helpline": (("GET", "/volunteers/{volunteer_id}/open-call"),),
    "/console/protocols": (("POST", "/protocols/{protocol_id}/versions"),),
    "/console/shifts": (("GET", "/shifts"),),
    "/console/volunteers": (("GET", "/console/api/volunteers"),),
    "/console/now": (("GET", "/console/api/board"),),
    "/console/directory": (("GET", "/directory"),),
    # funds
    "/console/funds": (("GET", "/console/api/funds"),),
    # (end of funds)
    "/join": (("POST", "/applications"),),
    "/console/login": (("POST", "/auth/sign-in"),),
    # regular
    "/console/regular": (("GET", "/commitments/{commitment_id}"),),
    # (end of regular)
    # privacy
    "/console/privacy": (("GET", "/privacy/access"),),
    # (end of privacy)
    # gifts: the one "Gifts" link goes to the overdue view (it links on to the import); pledge pages are reached
    # from a donor or an overdue line, so they are not in the navigation
    "/console/gifts/overdue": (("GET", "/instalments/overdue"),),
    # (end of gifts)
    # donors
    "/console/donors": (("GET", "/donors"),),
    # (end of donors)
    # admin
    "/console/admin": (("GET", "/auth/accounts"),),
    # (end of admin)
    # receipts
    "/console/receipts": (("GET", "/console/api/receipts/{year}"),),
    # (end of receipts)
    # thank-you letters
    "/console/thanks": (("GET", "/mail/thanks"),),
    # (end of thank-you letters)
    # e-mail pages: the "E-mail" link for whoever reads the templates; the outbox is linked from the e-mail pages
    "/console/mail": (("GET", "/mail/templates"),),
    # (end of e-mail pages)
}
# Pages for people who are not signed in: a signed-in person has an account already, and no use for them.
ANONYMOUS_ONLY = frozenset({"/join", "/console/login"})


def may(role: str | None, method: str, path: str) -> bool:
    """Whether `role` (None: nobody signed in) may call the route, by the table (administrators: every route)."""
    rule = POLICY.get((method, path))
    if rule is None:
        return role == Role.ADMINISTRATOR.value
    if Role.PUBLIC.value in rule.roles:
        return True
    return role is not None and (role == Role.ADMINISTRATOR.value or role in rule.roles)


def reachable_pages(role: str | None) -> frozenset[str]:
    """The console pages worth a link for `role` (None: an anonymous visitor)."""
    return frozenset(page for page, routes in PAGE_DATA.items()
                     if any(may(role, method, path) for method, path in routes)
                     and (role is None or page not in ANONYMOUS_ONLY))
# (end of access)
