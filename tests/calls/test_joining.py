"""Joining: a public application to volunteer, decided once by a coordinator; contacts only in the vault."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.joining import (
    AlreadyDecided,
    ApplicationStatus,
    InvalidApplication,
    TooManyApplications,
    admit_application,
)
from services.calls.domain.volunteer import Role, UnknownRole
from services.calls.joining import (
    APPLICANT,
    CONSENT_PURPOSE,
    Applicant,
    application_status,
    approve_application,
    decline_application,
    submit_application,
)
from services.identity.domain import SYSTEM_ACCESS, Actor
from services.kernel.clock import FixedClock
from tests.calls.conftest import messages

GIULIA = Applicant("Giulia Rossi", "giulia@example.org", "+39 02 1234 5678")
MARTA = Actor(kind="account", id="5b7a3a36-2f1e-4c1d-9d43-6a1f2b3c4d5e", name="marta@angeli.example",
              role="coordinator")


def apply(calls: CallsApplication, applicant: Applicant = GIULIA, roles: tuple[str, ...] = ("helpline",),
          availability: tuple[str, ...] = ("sat-afternoon", "mon-morning")) -> UUID:
    return submit_application(calls, applicant, "  Sesto   San Giovanni ", list(roles), list(availability),
                              "2026-12-v1", by=APPLICANT)


def test_an_application_keeps_the_contacts_in_the_vault_and_the_events_carry_none(calls: CallsApplication) -> None:
    application = apply(calls)
    [submitted] = messages(calls, "Application.Submitted")
    text = json.dumps(submitted.data)
    assert "Giulia" not in text and "giulia@" not in text and "1234" not in text
    assert submitted.data["municipality"] == "Sesto San Giovanni"
    assert submitted.data["availability"] == ["mon-morning", "sat-afternoon"]  # in the week's order
    assert calls.vault.get(application, SYSTEM_ACCESS)["full_name"] == "Giulia Rossi"
    [consent] = calls.vault.consents(application)
    assert consent.purpose == CONSENT_PURPOSE and consent.source == "join form, text 2026-12-v1"
    assert application_status(calls, application) is ApplicationStatus.PENDING


def test_approving_registers_a_volunteer_with_the_roles_asked_for_and_their_own_contacts(
    calls: CallsApplication,
) -> None:
    application = apply(calls, roles=("helpline", "outreach"))
    approval = approve_application(calls, application, by=MARTA)
    volunteer = calls.volunteer(approval.volunteer_id)
    assert volunteer.roles == (Role.HELPLINE, Role.OUTREACH)
    assert approval.email == "giulia@example.org"
    assert calls.vault.get(approval.volunteer_id, SYSTEM_ACCESS)["phone"] == "+39 02 1234 5678"
    [approved] = messages(calls, "Application.Approved")
    assert approved.data["by"] == MARTA.id and approved.data["volunteer_id"] == str(approval.volunteer_id)
    assert calls.presence(approval.volunteer_id).clocked_in_at is None  # ready to sign up for shifts


def test_an_application_is_decided_once(calls: CallsApplication) -> None:
    approved, declined = apply(calls), apply(calls, Applicant("Luca Bianchi", "luca@example.org", "+39 06 9876 5432"))
    approve_application(calls, approved, by=MARTA)
    decline_application(calls, declined, "Nessuna disponibilità nei turni scoperti", by=MARTA)
    with pytest.raises(AlreadyDecided, match="already approved"):
        decline_application(calls, approved, "ci ho ripensato", by=MARTA)
    with pytest.raises(AlreadyDecided, match="already declined"):
        approve_application(calls, declined, by=MARTA)


def test_the_reason_for_declining_stays_out_of_the_events(calls: CallsApplication) -> None:
    application = apply(calls)
    decline_application(calls, application, "Abita troppo lontano dalla sede", by=MARTA)
    [declined] = messages(calls, "Application.Declined")
    assert "lontano" not in json.dumps(declined.data)
    assert calls.vault.get(application, SYSTEM_ACCESS)["decline_reason"] == "Abita troppo lontano dalla sede"
    assert calls.vault.get(application, SYSTEM_ACCESS)["full_name"] == "Giulia Rossi"  # merged, not replaced


def test_declining_without_a_reason_is_refused(calls: CallsApplication) -> None:
    application = apply(calls)
    with pytest.raises(InvalidApplication, match="reason must say why"):
        decline_application(calls, application, "   ", by=MARTA)
    assert application_status(calls, application) is ApplicationStatus.PENDING


@pytest.mark.parametrize(("roles", "availability", "message"), [
    (("coordinator",), ("mon-morning",), "helpline or outreach"),
    (("pilot",), ("mon-morning",), "role must be one of"),
    (("helpline",), (), "at least one part of the week"),
    (("helpline",), ("monday-noon",), "a day and a part of it"),
])
def test_a_bad_application_is_refused_and_nothing_is_stored(calls: CallsApplication, roles: tuple[str, ...],
                                                            availability: tuple[str, ...], message: str) -> None:
    with pytest.raises(UnknownRole if roles[0] == "pilot" else InvalidApplication, match=message):
        apply(calls, roles=roles, availability=availability)
    assert messages(calls, "Application.Submitted") == []
    assert calls.vault.store.query("SELECT person_id FROM vault_data") == []


def test_five_applications_an_hour_from_one_address_the_sixth_waits_for_the_first_to_leave_the_hour(
    calls: CallsApplication, clock: FixedClock,
) -> None:
    for n in range(5):
        submit_application(calls, Applicant("Giulia Rossi", f"g{n}@example.org", "+39 02 1234 5678"), "Milano",
                           ["helpline"], ["mon-morning"], "2026-12-v1", by=APPLICANT, sender="198.51.100.7")
        clock.advance(timedelta(minutes=1))
    with pytest.raises(TooManyApplications, match="at most 5 an hour") as refused:
        apply_from(calls, "198.51.100.7")
    assert refused.value.headers["Retry-After"] == str(55 * 60)  # the first of the five leaves the window then
    apply_from(calls, "198.51.100.8")  # another address is not held back
    clock.advance(timedelta(minutes=55))
    apply_from(calls, "198.51.100.7")


def apply_from(calls: CallsApplication, sender: str) -> UUID:
    return submit_application(calls, GIULIA, "Milano", ["helpline"], ["mon-morning"], "2026-12-v1", by=APPLICANT,
                              sender=sender)


def test_the_address_is_never_stored_only_a_digest_keyed_by_the_server_secret(calls: CallsApplication) -> None:
    apply_from(calls, "198.51.100.7")
    [opened] = messages(calls, "JoinAttempts.Opened")
    text = json.dumps(opened.data)
    assert "198.51.100" not in text
    assert hashlib.sha256(b"198.51.100.7").hexdigest()[:32] not in text  # keyed: no plain hash to try
    assert len(opened.data["digest"]) == 32


def test_the_limit_is_checked_in_the_hour_and_the_hour_before() -> None:
    now = datetime(2026, 12, 2, 10, 5, tzinfo=UTC)
    earlier = [now - timedelta(minutes=m) for m in (50, 30, 20, 10, 6)]  # across 09:xx and 10:xx
    with pytest.raises(TooManyApplications):
        admit_application(earlier, now)
    admit_application(earlier[1:], now)
    admit_application([now - timedelta(hours=1), *earlier[1:]], now)  # exactly an hour ago has left
