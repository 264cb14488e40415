"""The Person aggregate on its own: opt-out and consent kept for good, the register, engagement, caps and rests."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from services.campaigns.calendar import ITALY_2024
from services.campaigns.domain.suppression import (
    FOREVER,
    FREE,
    Choice,
    Hold,
    Person,
    PersonEngagedElsewhere,
    hold_reason,
    hold_text,
)
from services.kernel.eventstore import ServiceApplication
from tests.conftest import MEMORY

NATALE_2026 = uuid4()
PASQUA_2027 = uuid4()
NATALE_CONTACT = uuid4()  # Giulia in Natale 2026
PASQUA_CONTACT = uuid4()  # Giulia in Pasqua 2027
MONDAY_10_ROME = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
FIVE_MINUTES = timedelta(minutes=5)


def giulia() -> Person:
    """Giulia, a donor recorded a month before Monday 23 November 2026."""
    return Person(uuid4(), MONDAY_10_ROME - timedelta(days=30))


def hold(person: Person, campaign: UUID, contact: UUID, now: datetime) -> Hold:
    return person.hold(str(campaign), str(contact), now, ITALY_2024)


def test_a_new_person_is_free_to_be_called_by_any_campaign() -> None:
    person = giulia()
    assert person.suppression() == "" and hold(person, NATALE_2026, NATALE_CONTACT, MONDAY_10_ROME) == FREE


def test_an_opted_out_person_is_held_for_good_in_every_campaign() -> None:
    # Given Giulia asked on a Natale 2026 call never to be called again
    person = giulia()
    person.opt_out(MONDAY_10_ROME, "call", str(NATALE_CONTACT), "volunteer:Marco")
    # Then every campaign holds her forever, for that reason
    for campaign, contact in ((NATALE_2026, NATALE_CONTACT), (PASQUA_2027, PASQUA_CONTACT)):
        assert hold(person, campaign, contact, MONDAY_10_ROME + timedelta(days=365)) == Hold(FOREVER, "opted out")
    assert person.choices == [Choice("opted_out", MONDAY_10_ROME, "call", "", "volunteer:Marco", str(NATALE_CONTACT))]


def test_a_re_consent_ends_the_opt_outs_effect_and_keeps_both_choices_in_order() -> None:
    # Given Giulia opted out by e-mail
    person = giulia()
    person.opt_out(MONDAY_10_ROME, "e-mail", "", "office:Anna")
    # When a week later she signs the web form for Natale 2026
    signed = MONDAY_10_ROME + timedelta(days=7)
    person.reconsent(signed, "Giulia Rossi, modulo firmato", "modulo web Natale 2026", "office:Anna")
    # Then she is callable again, and both choices stay on her record with when, who and how
    assert (person.suppression(), person.opted_out_at, person.consent_at) == ("", None, signed)
    assert [c.record() for c in person.choices] == [
        {"kind": "opted_out", "at": "2026-11-23T09:00:00+00:00", "source": "e-mail", "given_by": "",
         "recorded_by": "office:Anna", "contact_id": ""},
        {"kind": "consented", "at": "2026-11-30T09:00:00+00:00", "source": "modulo web Natale 2026",
         "given_by": "Giulia Rossi, modulo firmato", "recorded_by": "office:Anna", "contact_id": ""},
    ]


def test_a_number_on_the_register_is_suppressed_until_a_consent_given_after_its_first_listing() -> None:
    # Given Giulia's number listed on the opposition register checked on 20 November, and again on 27 November
    person = giulia()
    person.list_on_register(date(2026, 11, 20))
    person.list_on_register(date(2026, 11, 27))
    suppressed = "on the opposition register (checked 2026-11-27) without later consent"
    assert person.suppression() == suppressed
    # When she consents on the day of the first listing, that is not later: still suppressed
    person.reconsent(datetime(2026, 11, 20, 17, tzinfo=UTC), "Giulia Rossi", "modulo web")
    assert hold(person, NATALE_2026, NATALE_CONTACT, MONDAY_10_ROME) == Hold(FOREVER, suppressed)
    # Then a consent the day after the first listing frees her, though the register was checked again since
    person.reconsent(datetime(2026, 11, 21, 9, tzinfo=UTC), "Giulia Rossi", "modulo web")
    assert person.suppression() == "" and person.register_first_listed_on == "2026-11-20"


def test_the_same_register_check_listing_a_number_twice_records_it_once() -> None:
    person = giulia()
    person.list_on_register(date(2026, 11, 20))
    person.list_on_register(date(2026, 11, 20))
    assert [type(e).__name__ for e in person.pending_events] == ["Recorded", "RegisterListed"]


def test_a_number_cleared_from_the_register_and_listed_again_needs_a_consent_after_the_new_listing() -> None:
    # Given Giulia listed on 20 November and consenting on 21 November
    person = giulia()
    person.list_on_register(date(2026, 11, 20))
    person.reconsent(datetime(2026, 11, 21, 9, tzinfo=UTC), "Giulia Rossi", "modulo web")
    # When the register clears her on 1 December and lists her again on 10 December
    person.clear_from_register(date(2026, 12, 1))
    assert person.suppression() == "" and person.register_listed_on is None
    person.list_on_register(date(2026, 12, 10))
    # Then her November consent is older than the new listing, and she is suppressed again
    assert person.suppression() == "on the opposition register (checked 2026-12-10) without later consent"


def test_clearing_a_number_that_is_not_listed_records_nothing() -> None:
    person = giulia()
    person.clear_from_register(date(2026, 11, 20))
    assert len(person.pending_events) == 1


def test_a_person_engaged_by_natale_is_held_for_pasqua_until_two_hours_after_the_lease() -> None:
    # Given Giulia engaged by her Natale 2026 contact for a lease until 10:05
    person = giulia()
    person.engage(NATALE_CONTACT, NATALE_2026, MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME, ITALY_2024)
    # Then Pasqua 2027 may not call her until 12:05 (a call may outlast its lease), and Natale's contact may
    until = MONDAY_10_ROME + timedelta(hours=2, minutes=5)
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME) == Hold(until, "being called in another campaign")
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, until) == FREE
    assert hold(person, NATALE_2026, NATALE_CONTACT, MONDAY_10_ROME) == FREE
    # And Pasqua 2027 engaging her meanwhile is refused, saying why and until when
    with pytest.raises(PersonEngagedElsewhere, match=re.escape(
            f"person may not be called now: being called in another campaign until {until}")):
        person.engage(PASQUA_CONTACT, PASQUA_2027, MONDAY_10_ROME + timedelta(minutes=6),
                      MONDAY_10_ROME + timedelta(minutes=1), ITALY_2024)
    assert person.engaged_contact == str(NATALE_CONTACT)


def test_an_opted_out_person_cannot_be_engaged() -> None:
    person = giulia()
    person.opt_out(MONDAY_10_ROME - timedelta(days=1), "e-mail", "")
    with pytest.raises(PersonEngagedElsewhere, match=re.escape(
            f"person may not be called now: opted out until {FOREVER}")):
        person.engage(NATALE_CONTACT, NATALE_2026, MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME, ITALY_2024)


def test_only_the_engaging_contact_disengages_the_person() -> None:
    # Given Giulia engaged by Natale 2026
    person = giulia()
    person.engage(NATALE_CONTACT, NATALE_2026, MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME, ITALY_2024)
    # When Pasqua's contact lets go, nothing changes; when Natale's does, she is free
    person.disengage(PASQUA_CONTACT, MONDAY_10_ROME)
    assert person.engaged_contact == str(NATALE_CONTACT)
    person.disengage(NATALE_CONTACT, MONDAY_10_ROME + timedelta(minutes=1))
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME + timedelta(minutes=1)) == FREE


def test_an_attempt_logged_by_the_engaging_contact_ends_the_engagement() -> None:
    # Given Giulia engaged by Natale 2026
    person = giulia()
    person.engage(NATALE_CONTACT, NATALE_2026, MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME, ITALY_2024)
    # When that call ends busy
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "busy", MONDAY_10_ROME + timedelta(minutes=2), ITALY_2024)
    # Then Pasqua 2027 may call her at once
    assert (person.engaged_contact, person.engaged_until) == ("", None)
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME + timedelta(minutes=3)) == FREE


def test_three_attempts_in_a_week_hold_the_person_until_the_oldest_is_a_week_old() -> None:
    # Given Giulia called unanswered on Monday, Tuesday and Wednesday at 10:00
    person = giulia()
    for day in range(3):
        person.log_attempt(NATALE_2026, NATALE_CONTACT, "no_answer", MONDAY_10_ROME + timedelta(days=day), ITALY_2024)
    # Then on Thursday every campaign, her own too, waits until the next Monday at 10:00
    thursday, next_monday = MONDAY_10_ROME + timedelta(days=3), MONDAY_10_ROME + timedelta(days=7)
    capped = Hold(next_monday, "weekly cap of 3 attempts reached")
    assert hold(person, NATALE_2026, NATALE_CONTACT, thursday) == capped
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, thursday) == capped
    assert hold(person, NATALE_2026, NATALE_CONTACT, next_monday) == FREE


def test_two_attempts_in_a_week_do_not_reach_the_cap() -> None:
    person = giulia()
    for day in range(2):
        person.log_attempt(NATALE_2026, NATALE_CONTACT, "busy", MONDAY_10_ROME + timedelta(days=day), ITALY_2024)
    assert hold(person, NATALE_2026, NATALE_CONTACT, MONDAY_10_ROME + timedelta(days=2)) == FREE


@pytest.mark.parametrize("disposition", ["answered", "pledged", "not_interested", "callback_requested"])
def test_a_conversation_rests_the_person_thirty_days_for_other_campaigns_but_not_her_own(disposition: str) -> None:
    # Given Giulia spoke with a Natale 2026 volunteer on Monday
    person = giulia()
    person.log_attempt(NATALE_2026, NATALE_CONTACT, disposition, MONDAY_10_ROME, ITALY_2024)
    # Then Pasqua 2027 waits thirty days, and Natale 2026 may call her back
    tomorrow = MONDAY_10_ROME + timedelta(days=1)
    rested = Hold(MONDAY_10_ROME + timedelta(days=30), "spoke with us in the last 30 days")
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, tomorrow) == rested
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME + timedelta(days=30)) == FREE
    assert hold(person, NATALE_2026, NATALE_CONTACT, tomorrow) == FREE


def test_an_unanswered_call_is_no_conversation_and_no_rest() -> None:
    person = giulia()
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "voicemail", MONDAY_10_ROME, ITALY_2024)
    assert person.conversation_at is None and person.rest_until is None
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME + timedelta(minutes=1)) == FREE


def test_an_abandoned_call_rests_the_person_five_days_in_every_campaign() -> None:
    # Given the dialer abandoned a call to Giulia on Monday
    person = giulia()
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "abandoned", MONDAY_10_ROME, ITALY_2024)
    # Then every campaign, her own too, waits five days
    rested = Hold(MONDAY_10_ROME + timedelta(days=5), "resting after an abandoned or silent call")
    tomorrow = MONDAY_10_ROME + timedelta(days=1)
    assert hold(person, NATALE_2026, NATALE_CONTACT, tomorrow) == hold(person, PASQUA_2027, PASQUA_CONTACT, tomorrow)
    assert hold(person, NATALE_2026, NATALE_CONTACT, tomorrow) == rested
    assert hold(person, NATALE_2026, NATALE_CONTACT, MONDAY_10_ROME + timedelta(days=5)) == FREE


def test_an_abandoned_call_reported_late_never_shortens_a_rest() -> None:
    # Given a call abandoned on Wednesday, then one abandoned on Monday reported after it
    person = giulia()
    wednesday = MONDAY_10_ROME + timedelta(days=2)
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "abandoned", wednesday, ITALY_2024)
    person.log_attempt(PASQUA_2027, PASQUA_CONTACT, "abandoned", MONDAY_10_ROME, ITALY_2024)
    # Then the rest still runs five days from Wednesday
    assert person.rest_until == wednesday + timedelta(days=5)


def test_the_longest_of_several_holds_is_the_one_given() -> None:
    # Given Giulia reached the weekly cap (free again next Monday) and spoke with Natale 2026 (30 days)
    person = giulia()
    for day in range(3):
        person.log_attempt(NATALE_2026, NATALE_CONTACT, "answered", MONDAY_10_ROME + timedelta(days=day), ITALY_2024)
    # Then for Pasqua 2027 on Thursday the conversation's rest, which lasts longer, is the reason
    assert hold(person, PASQUA_2027, PASQUA_CONTACT, MONDAY_10_ROME + timedelta(days=3)) == \
        Hold(MONDAY_10_ROME + timedelta(days=32), "spoke with us in the last 30 days")


@pytest.mark.parametrize(("code", "params"), [
    ("opted_out", {}), ("on_register", {"checked_on": "2026-11-20"}), ("weekly_cap", {"attempts": 3}),
    ("conversation_rest", {"days": 30}), ("resting", {}), ("engaged_elsewhere", {}),
])
def test_a_stored_hold_text_reads_back_as_its_code_and_parameters(code: str, params: dict[str, object]) -> None:
    reason = hold_reason(hold_text(code, **params))
    assert (reason.code, reason.params) == (code, params)


def test_a_hold_text_of_another_kind_reads_back_as_a_plain_hold() -> None:
    assert hold_reason("fuori orario").code == "hold"


def test_a_person_saved_and_read_back_replays_to_the_same_state() -> None:
    # Given Giulia opted out, consented again, listed on the register, engaged, and with an abandoned call
    person = giulia()
    person.opt_out(MONDAY_10_ROME - timedelta(days=14), "call", str(NATALE_CONTACT), "volunteer:Marco")
    person.list_on_register(date(2026, 11, 10))
    person.reconsent(MONDAY_10_ROME - timedelta(days=7), "Giulia Rossi", "modulo web Natale 2026", "office:Anna")
    person.engage(NATALE_CONTACT, NATALE_2026, MONDAY_10_ROME + FIVE_MINUTES, MONDAY_10_ROME, ITALY_2024)
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "abandoned", MONDAY_10_ROME + timedelta(minutes=1), ITALY_2024)
    person.log_attempt(NATALE_2026, NATALE_CONTACT, "answered", MONDAY_10_ROME + timedelta(days=6), ITALY_2024)
    # When she is saved in the in-memory event store and read back
    app = ServiceApplication(dict(MEMORY))
    app.save(person)
    loaded = app.get(person.id, Person)
    # Then the replayed events give the same state, and the same holds: Pasqua 2027 waits after the conversation
    assert vars(loaded) == vars(person) and loaded.version == 7
    sunday = MONDAY_10_ROME + timedelta(days=6, hours=1)
    assert hold(loaded, NATALE_2026, NATALE_CONTACT, sunday) == FREE
    assert hold(loaded, PASQUA_2027, PASQUA_CONTACT, sunday) == \
        Hold(MONDAY_10_ROME + timedelta(days=36), "spoke with us in the last 30 days")
    assert [c.kind for c in loaded.choices] == ["opted_out", "consented"] and loaded.suppression() == ""
