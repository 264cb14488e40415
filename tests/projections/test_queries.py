"""The query functions behind the console's pages and the hours routes, over read models fed from the aggregates:
hours in hours, volunteers ordered by what they gave, names from the vault (empty once erased), callback slots
only for a campaign the catalogue knows."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import uuid4

import pytest

from services.calls.domain.volunteer import Volunteer
from services.campaigns.domain.contact import Plan
from services.identity.domain import Actor
from services.kernel.clock import FixedClock
from services.kernel.errors import NotFound
from services.kernel.readmodel import ReadStore
from services.privacy.application import PrivacyVault
from services.projections import campaign_progress, catalogue, console_api, hours_api, roster, volunteer_hours
from tests.projections.conftest import Calls, Campaigns, ReadModelOf, rome

COORDINATOR = Actor(kind="account", id="c1", name="sara@angeli.example", role="coordinator")


@pytest.fixture
def team(calls: Calls, vault: PrivacyVault) -> dict[str, Volunteer]:
    """Giulia: 4 hours in week 48 with 12 minutes on the phone. Marco: 6 hours in week 48 and 1 in week 49.
    Chiara: 2 hours, then erased. Luca: registered, no hours yet."""
    people = {name: calls.volunteer(rome("2026-11-01 09:00")) for name in ("Giulia", "Marco", "Chiara", "Luca")}
    for name, volunteer in people.items():
        vault.put(volunteer.id, {"full_name": f"{name} Rossi", "phone": "+39 02 1234 5678"})
    calls.clock_in(people["Giulia"], rome("2026-11-23 10:00"))
    calls.call(people["Giulia"], rome("2026-11-23 11:00"), "answered", talk_seconds=720)
    calls.clock_out(people["Giulia"], rome("2026-11-23 14:00"))
    calls.shift(people["Marco"], rome("2026-11-24 09:00"), rome("2026-11-24 15:00"))
    calls.shift(people["Marco"], rome("2026-12-01 09:00"), rome("2026-12-01 10:00"))
    calls.shift(people["Chiara"], rome("2026-11-25 16:00"), rome("2026-11-25 18:00"))
    vault.erase(people["Chiara"].id, datetime(2026, 11, 30, tzinfo=UTC), "tests", "asked to be forgotten")
    return people


@pytest.fixture
def stores(read_model: ReadModelOf, team: dict[str, Volunteer]) -> dict[str, ReadStore]:
    hours, listed = read_model(volunteer_hours.PROJECTION), read_model(roster.PROJECTION)
    hours.catch_up()
    listed.catch_up()
    return {"volunteer_hours": hours.store, "roster": listed.store}


def test_the_hours_overview_lists_volunteers_by_hours_given_then_name_with_the_centre_s_weeks(
    stores: dict[str, ReadStore], vault: PrivacyVault
) -> None:
    overview = console_api.overview(stores, vault, COORDINATOR, "week")
    assert [(v.name, v.total_hours) for v in overview.volunteers] == [
        ("Marco Rossi", 7.0), ("Giulia Rossi", 4.0), ("", 2.0), ("Luca Rossi", 0.0)]  # Chiara was erased
    assert [(h.period, h.shift_hours, h.talk_hours, h.calls) for h in overview.centre] == [
        ("2026-W48", 12.0, 0.2, 1), ("2026-W49", 1.0, 0.0, 0)]
    marco = overview.volunteers[0]
    assert [(h.period, h.shift_hours) for h in marco.periods] == [("2026-W48", 6.0), ("2026-W49", 1.0)]


def test_the_hours_overview_can_leave_out_volunteers_with_no_hours(
    stores: dict[str, ReadStore], vault: PrivacyVault, team: dict[str, Volunteer]
) -> None:
    overview = console_api.overview(stores, vault, COORDINATOR, "month", idle=False)
    assert str(team["Luca"].id) not in {str(v.volunteer_id) for v in overview.volunteers}
    assert [(h.period, h.shift_hours) for h in overview.centre] == [("2026-11", 12.0), ("2026-12", 1.0)]


def test_a_volunteer_s_hours_report_gives_hours_not_seconds(
    stores: dict[str, ReadStore], team: dict[str, Volunteer]
) -> None:
    report = hours_api.volunteer_hours_report(team["Giulia"].id, stores, "week")
    assert [(p.period, p.shift_hours, p.talk_hours, p.calls, p.training_hours) for p in report.periods] == [
        ("2026-W48", 4.0, 0.2, 1, 0.0)]
    centre = hours_api.centre_hours(stores, "month")
    assert [(p.period, p.shift_hours) for p in centre.periods] == [("2026-11", 12.0), ("2026-12", 1.0)]


def test_a_campaign_s_volunteers_are_named_from_the_vault_and_the_erased_stay_nameless(
    read_model: ReadModelOf, campaigns: Campaigns, team: dict[str, Volunteer], vault: PrivacyVault
) -> None:
    # Given Natale 2026, where Giulia and Chiara (since erased) have called; Marco called for another campaign
    natale, pasqua = (campaigns.campaign(name, rome("2026-11-01 09:00")) for name in ("Natale 2026", "Pasqua 2027"))
    for campaign, name in ((natale, "Giulia"), (natale, "Chiara"), (pasqua, "Marco")):
        contact = campaigns.contact(campaign, rome("2026-11-20 09:00"))
        campaigns.attempt(contact, team[name].id, "no_answer", rome("2026-11-23 10:00"),
                          Plan(rome("2026-11-23 14:00"), "retry", ""))
    progress = read_model(campaign_progress.PROJECTION)
    progress.catch_up()
    # When the dashboard asks for the names of Natale's volunteers
    named = console_api.campaign_volunteers(natale.id, {"campaign_progress": progress.store}, vault, COORDINATOR)
    # Then it gets Giulia's name and an empty one for Chiara, and nobody from the other campaign
    assert {str(v.volunteer_id): v.name for v in named} == {str(team["Giulia"].id): "Giulia Rossi",
                                                            str(team["Chiara"].id): ""}


def test_callback_slots_are_refused_for_a_campaign_the_catalogue_has_not_seen(
    read_model: ReadModelOf, campaigns: Campaigns
) -> None:
    natale = campaigns.campaign("Natale 2026", rome("2026-11-01 09:00"))
    console = read_model(catalogue.PROJECTION)
    console.catch_up()
    stores: dict[str, ReadStore] = {"console": console.store}
    clock = FixedClock(rome("2026-11-23 10:00"))
    assert [c.name for c in console_api.list_campaigns(stores)] == ["Natale 2026"]
    assert console_api.callback_slots(natale.id, stores, clock).slots[0] == rome("2026-11-23 10:30")
    with pytest.raises(NotFound):
        console_api.callback_slots(uuid4(), stores, clock)
