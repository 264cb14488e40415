"""Joining use cases: a public application to volunteer, then a coordinator's approval or decline (get → act → save).

The applicant's contacts go to the vault under the application's id with the consent they gave (and the version
of the text they read); on approval the same contacts are copied under the new volunteer's id, so the volunteer
is a person of their own in the vault, erasable on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from services.calls.application import CallsApplication
from services.calls.domain.joining import (
    JOIN_WINDOW,
    Application,
    ApplicationStatus,
    JoinAttempts,
    admit_application,
    hour_of,
    join_attempts_id,
    parse_availability,
    parse_municipality,
    parse_wanted,
    sender_digest,
)
from services.calls.domain.shift import Presence
from services.calls.domain.volunteer import Volunteer
from services.identity.domain import Access, Actor
from services.kernel.errors import ConcurrencyConflict, DomainError
from services.kernel.idempotency import PendingRequest

# The purpose a consent to the sign-up form is recorded under, in the vault.
CONSENT_PURPOSE = "volunteer_application"
CONTACTS = ("full_name", "email", "phone")
# Who records an applicant's own consent: the public form, for the person filling it in.
APPLICANT = Actor(kind="public", id="join-form", name="join form", role="public")


@dataclass(frozen=True)
class Applicant:
    full_name: str
    email: str
    phone: str


@dataclass(frozen=True)
class Approval:
    application_id: UUID
    volunteer_id: UUID
    email: str  # where the invitation to the console goes
    again: bool = False  # approved earlier: the retry only (re)issues the invitation


def submit_application(calls: CallsApplication, applicant: Applicant, municipality: str, roles: list[str],
                       availability: list[str], consent_version: str, *, by: Actor, sender: str | None = None,
                       once: PendingRequest | None = None) -> UUID:
    """A pending application; the contacts and the consent to process them go to the vault, the rest in events.

    With `sender` (the client address), the address's hourly count is saved with the application, in the same
    transaction and with optimistic concurrency: a flood is refused across processes and restarts; a count two
    processes raised at once is read again and the check retried."""
    wanted, times, town = parse_wanted(roles), parse_availability(availability), parse_municipality(municipality)
    contacts = {"full_name": applicant.full_name, "email": applicant.email, "phone": applicant.phone}
    for attempt in range(_RETRIES):
        now = calls.clock.now()
        counted = [] if sender is None else [_counted(calls, sender, now)]
        application = Application(wanted, times, town, consent_version, submitted_at=now)
        try:
            with calls.vault.new_people({application.id: contacts}, calls.name, calls.existing):
                calls.vault.record_consent(application.id, CONSENT_PURPOSE, f"join form, text {consent_version}",
                                           given_at=now, by=by)
                calls.save(application, *counted, once=once)
        except ConcurrencyConflict:
            if attempt == _RETRIES - 1 or not counted:
                raise
            continue
        return application.id
    raise AssertionError("unreachable")


_RETRIES = 5


def sender_times(calls: CallsApplication, sender: str, now: datetime) -> list[datetime]:
    """The times of the applications stored from `sender` this hour and the hour before (read only)."""
    return [t for hour in (hour_of(now - JOIN_WINDOW), hour_of(now)) for t in _hour_times(calls, sender, hour)]


def check_sender(calls: CallsApplication, sender: str) -> None:
    """Refuse (429) an address that sent its hour's applications already: cheap, before the body is read."""
    now = calls.clock.now()
    admit_application(sender_times(calls, sender, now), now)


def _counted(calls: CallsApplication, sender: str, now: datetime) -> JoinAttempts:
    """This hour's count raised by one, judged on the very state that is saved: a count read twice (once to check,
    once to raise) lets a save made in between slip past the limit."""
    hour = hour_of(now)
    digest = sender_digest(calls.join_key, sender, hour)
    attempts_id = join_attempts_id(digest)
    attempts = calls.get(attempts_id, JoinAttempts) if calls.exists(attempts_id) else JoinAttempts(digest, hour)
    earlier = _hour_times(calls, sender, hour_of(now - JOIN_WINDOW))  # no longer written: a stale read is harmless
    admit_application(earlier + attempts.times, now)
    attempts.count(now)
    return attempts


def _hour_times(calls: CallsApplication, sender: str, hour: str) -> list[datetime]:
    found = calls.existing([join_attempts_id(sender_digest(calls.join_key, sender, hour))])
    return [t for attempts_id in found for t in calls.get(attempts_id, JoinAttempts).times]


def approve_application(calls: CallsApplication, application_id: UUID, *, by: Actor,
                        once: PendingRequest | None = None) -> Approval:
    """Register the applicant as a volunteer with the roles they asked for; the application records who approved.

    Safe to retry: an application approved already is answered with its volunteer (`again`), nothing saved, so
    the caller can issue the console invitation a failed first attempt left missing."""
    application = calls.get(application_id, Application)
    if application.status is ApplicationStatus.APPROVED and application.volunteer_id is not None:
        email = invitation_address(calls, application.volunteer_id, by=by)
        return Approval(application_id, application.volunteer_id, email, again=True)
    contacts = calls.vault.get(application_id, Access(by, f"approving application {application_id}"), CONTACTS)
    volunteer = Volunteer(application.roles, registered_at=calls.clock.now())
    application.approve(volunteer.id, by=by.id, at=calls.clock.now())
    with calls.vault.new_people({volunteer.id: contacts}, calls.name, calls.existing):
        calls.save(application, volunteer, Presence(volunteer.id), once=once)
    return Approval(application_id, volunteer.id, contacts["email"])


def decline_application(calls: CallsApplication, application_id: UUID, reason: str, *, by: Actor,
                        once: PendingRequest | None = None) -> None:
    """Decline with a reason, kept in the vault beside the applicant's contacts (it may describe them)."""
    application = calls.get(application_id, Application)
    application.decline(reason, by=by.id, at=calls.clock.now())
    calls.vault.put_many({application_id: {"decline_reason": reason.strip()}}, merge=True)
    calls.save(application, once=once)


def application_status(calls: CallsApplication, application_id: UUID) -> ApplicationStatus:
    status: ApplicationStatus = calls.get(application_id, Application).status
    return status


def invitation_address(calls: CallsApplication, volunteer_id: UUID, *, by: Actor) -> str:
    """The e-mail a volunteer's invitation to the console goes to (from the vault; the read is on the trail)."""
    calls.get(volunteer_id, Volunteer)
    try:
        email = calls.vault.get(volunteer_id, Access(by, f"inviting volunteer {volunteer_id} to the console"),
                                ("email",)).get("email")
    except KeyError:
        email = None
    if not email:
        raise NoAddress(f"volunteer {volunteer_id} has no e-mail on file; record one before inviting them")
    return str(email)


class NoAddress(DomainError):
    pass
