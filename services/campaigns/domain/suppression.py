"""Person: one organisation-wide record per phone number — opt-out, consent, register, caps, engagement.

Every campaign's contact for the same number shares this aggregate, so an opt-out reaches every campaign
at once, and leasing a contact also engages its person: two campaigns can never call one person together
(the Person's optimistic concurrency arbitrates, exactly as the Contact's does within a campaign).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.campaigns.calendar import Policy, Reason
from services.kernel.errors import DomainError

CONVERSATIONS = frozenset({"answered", "pledged", "not_interested", "callback_requested", "do_not_call"})
SILENT = frozenset({"abandoned"})
# Engagement outlives a lease so that a call still running when its lease lapses keeps the person held.
ENGAGEMENT_GRACE = timedelta(hours=2)
FOREVER = datetime(9999, 1, 1, tzinfo=UTC)


class PersonEngagedElsewhere(DomainError):
    pass


@dataclass(frozen=True)
class Hold:
    """Until when, and why, a person may not be called (until is None when free)."""

    until: datetime | None
    reason: str


FREE = Hold(None, "")

# Why a person is held: the English text the dialer's queue stores, by the code a console translates it with.
HOLD_TEXTS = {
    "opted_out": "opted out",
    "on_register": "on the opposition register (checked {checked_on}) without later consent",
    "engaged_elsewhere": "being called in another campaign",
    "resting": "resting after an abandoned or silent call",
    "weekly_cap": "weekly cap of {attempts} attempts reached",
    "conversation_rest": "spoke with us in the last {days} days",
}
_HOLD_PATTERNS = {code: re.compile("^" + re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(text)) + "$")
                  for code, text in HOLD_TEXTS.items()}


def hold_text(code: str, **params: object) -> str:
    return HOLD_TEXTS[code].format(**params)


def hold_reason(text: str) -> Reason:
    """A stored hold's text read back as its code and parameters (code 'hold' for a text of another kind)."""
    for code, pattern in _HOLD_PATTERNS.items():
        match = pattern.match(text)
        if match:
            params: dict[str, object] = {k: int(v) if v.isdigit() else v for k, v in match.groupdict().items()}
            return Reason(text, code, params)
    return Reason(text, "hold")


@dataclass(frozen=True)
class Choice:
    """What the person said about being called, kept for good: an opt-out or a consent, when, who and how.
    A later consent ends an opt-out's effect, never its record (a regulator asks for both)."""

    kind: str  # "opted_out" or "consented"
    at: datetime
    source: str  # how: the channel or document it came through, e.g. "call" or "modulo web"
    given_by: str  # who expressed it, as recorded ("" for an opt-out said on a call: the person called)
    recorded_by: str  # who recorded it ("" on events older than this field)
    contact_id: str = ""  # the campaign contact whose call it came from, if any

    def record(self) -> dict[str, str]:
        """As JSON-ready text, for the person's record and the subject-access export."""
        return {"kind": self.kind, "at": self.at.isoformat(), "source": self.source, "given_by": self.given_by,
                "recorded_by": self.recorded_by, "contact_id": self.contact_id}


class Person(Aggregate):
    """A reachable person; the phone number itself lives in the privacy vault under this id."""

    @event("Recorded")
    def __init__(self, person_id: UUID, at: datetime) -> None:
        self.opted_out_at: datetime | None = None
        self.consent_at: datetime | None = None
        self.choices: list[Choice] = []
        self.register_listed_on: str | None = None
        self.register_first_listed_on: str | None = None
        self.attempts: list[datetime] = []
        self.conversation_at: datetime | None = None
        self.conversation_campaign: str = ""
        self.rest_until: datetime | None = None
        self.engaged_contact: str = ""
        self.engaged_until: datetime | None = None

    @staticmethod
    def create_id(person_id: UUID, at: datetime) -> UUID:
        return person_id

    @event("OptedOut")
    def opt_out(self, at: datetime, source: str, contact_id: str, recorded_by: str = "") -> None:
        self.opted_out_at = at
        self.choices.append(Choice("opted_out", at, source, "", recorded_by, contact_id))

    @event("ReConsented")
    def reconsent(self, at: datetime, given_by: str, source: str, recorded_by: str = "") -> None:
        self.consent_at = at
        self.opted_out_at = None
        self.choices.append(Choice("consented", at, source, given_by, recorded_by))

    def list_on_register(self, checked_on: date) -> None:
        if self.register_listed_on != checked_on.isoformat():
            self._listed(checked_on.isoformat())

    @event("RegisterListed")
    def _listed(self, checked_on: str) -> None:
        if self.register_listed_on is None:
            self.register_first_listed_on = checked_on
        self.register_listed_on = checked_on

    def clear_from_register(self, checked_on: date) -> None:
        if self.register_listed_on is not None:
            self._cleared(checked_on.isoformat())

    @event("RegisterCleared")
    def _cleared(self, checked_on: str) -> None:
        self.register_listed_on = None
        self.register_first_listed_on = None

    def engage(self, contact_id: UUID, campaign_id: UUID, until: datetime, now: datetime, policy: Policy) -> None:
        hold = self.hold(str(campaign_id), str(contact_id), now, policy)
        if hold.until is not None:
            raise PersonEngagedElsewhere(f"person may not be called now: {hold.reason} until {hold.until}")
        self._engaged(str(contact_id), str(campaign_id), until + ENGAGEMENT_GRACE, now)

    @event("Engaged")
    def _engaged(self, contact_id: str, campaign_id: str, until: datetime, at: datetime) -> None:
        self.engaged_contact = contact_id
        self.engaged_until = until

    def disengage(self, contact_id: UUID, at: datetime) -> None:
        if self.engaged_contact == str(contact_id):
            self._disengaged(str(contact_id), at)

    @event("Disengaged")
    def _disengaged(self, contact_id: str, at: datetime) -> None:
        self.engaged_contact = ""
        self.engaged_until = None

    def log_attempt(self, campaign_id: UUID, contact_id: UUID, disposition: str, at: datetime, policy: Policy) -> None:
        rest_until = at + timedelta(days=policy.abandoned_rest_days) if disposition in SILENT else None
        self._attempt_logged(str(campaign_id), str(contact_id), disposition, at, rest_until)

    @event("AttemptLogged")
    def _attempt_logged(self, campaign_id: str, contact_id: str, disposition: str, at: datetime,
                        rest_until: datetime | None) -> None:
        # Only the last week matters for the weekly cap; keep a few more than any cap needs.
        self.attempts = sorted([*self.attempts, at])[-10:]
        if disposition in CONVERSATIONS:
            self.conversation_at = at
            self.conversation_campaign = campaign_id
        if rest_until is not None:
            self.rest_until = max(rest_until, self.rest_until) if self.rest_until else rest_until
        if self.engaged_contact == contact_id:
            self.engaged_contact = ""
            self.engaged_until = None

    # Pure reads.
    def suppression(self) -> str:
        """Why this person may never be called until something changes ('' when not suppressed)."""
        if self.opted_out_at is not None:
            return hold_text("opted_out")
        if self.register_listed_on is not None:
            first = date.fromisoformat(self.register_first_listed_on or self.register_listed_on)
            if self.consent_at is None or self.consent_at.date() <= first:
                return hold_text("on_register", checked_on=self.register_listed_on)
        return ""

    def hold(self, campaign_id: str, contact_id: str, now: datetime, policy: Policy) -> Hold:
        """The longest current reason not to call this person for this campaign's contact."""
        suppressed = self.suppression()
        if suppressed:
            return Hold(FOREVER, suppressed)
        holds = [FREE]
        if self.engaged_contact and self.engaged_contact != contact_id and self.engaged_until and \
                self.engaged_until > now:
            holds.append(Hold(self.engaged_until, hold_text("engaged_elsewhere")))
        if self.rest_until and self.rest_until > now:
            holds.append(Hold(self.rest_until, hold_text("resting")))
        week = [a for a in self.attempts if a > now - timedelta(days=7)]
        if len(week) >= policy.weekly_attempts:
            until = week[-policy.weekly_attempts] + timedelta(days=7)
            holds.append(Hold(until, hold_text("weekly_cap", attempts=policy.weekly_attempts)))
        if self.conversation_at and self.conversation_campaign != campaign_id:
            until = self.conversation_at + timedelta(days=policy.conversation_rest_days)
            if until > now:
                holds.append(Hold(until, hold_text("conversation_rest", days=policy.conversation_rest_days)))
        return max(holds, key=lambda h: h.until or datetime.min.replace(tzinfo=now.tzinfo))


class RegisterCheck(Aggregate):
    """One import of the national opposition register (Registro Pubblico delle Opposizioni)."""

    @event("Imported")
    def __init__(self, checked_on: str, listed: int, cleared: int, invalid: int, sha256: str,
                 imported_at: datetime) -> None:
        self.checked_on = checked_on
        self.listed = listed
