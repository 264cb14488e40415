"""Campaign progress fed from the Contact and Pledge aggregates, and the progress query the dashboard reads.

tests/projections/test_progress_order.py shows the rows do not depend on the order sources deliver in; here:
what the rows say — contacts by state, who reached whom at which hour, money against the goal.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest

from services.campaigns.domain.contact import Plan
from services.kernel.errors import NotFound
from services.projections import campaign_progress, campaigns_api
from tests.projections.conftest import Campaigns, Donations, ReadModel, ReadModelOf, rome

GIULIA, MARCO = UUID("00000000-0000-4000-8000-00000000000a"), UUID("00000000-0000-4000-8000-00000000000b")


@pytest.fixture
def natale(campaigns: Campaigns, donations: Donations) -> dict[str, Any]:
    """Natale 2026 (goal 10,000.00) on Monday 23 November: Giulia reaches Signora Rossi at 10:15, who pledges
    50.00 (30.00 of it stays paid after a chargeback), and gets no answer from Bianchi at 10:40; Marco is asked
    for a callback by Esposito at 18:20, is on the line with Verdi, and hands Neri back. A pledge outside any
    campaign is made too."""
    campaign = campaigns.campaign("Natale 2026", rome("2026-11-01 09:00"))
    rossi, bianchi, verdi, neri, esposito = (campaigns.contact(campaign, rome("2026-11-20 09:00")) for _ in range(5))
    campaigns.attempt(rossi, GIULIA, "pledged", rome("2026-11-23 10:15"), Plan(None, "closed", "pledged"))
    fund = donations.fund("Fondo famiglie", rome("2026-11-01 09:00"))
    pledge = donations.pledge(fund, "50.00", rome("2026-11-23 10:20"), campaign_id=str(campaign.id),
                              contact_id=str(rossi.id), volunteer_id=str(GIULIA))
    paid = donations.pay(pledge, fund, "50.00", rome("2026-11-24 09:00"))
    donations.reverse(pledge, fund, paid, "20.00", rome("2026-11-28 09:00"))
    donations.pay(donations.pledge(fund, "70.00", rome("2026-11-23 10:30")), fund, "70.00", rome("2026-11-23 10:31"))
    campaigns.attempt(bianchi, GIULIA, "no_answer", rome("2026-11-23 10:40"),
                      Plan(rome("2026-11-23 14:40"), "retry", ""))
    campaigns.attempt(esposito, MARCO, "callback_requested", rome("2026-11-23 18:20"),
                      Plan(rome("2026-11-24 18:00"), "callback", ""))
    campaigns.lease(verdi, MARCO, rome("2026-11-23 18:30"))
    verdi.call_started(str(MARCO), rome("2026-11-23 18:30"))
    campaigns.lease(neri, MARCO, rome("2026-11-23 18:40"))
    neri.hand_back(MARCO, rome("2026-11-23 18:41"), "wrong person answered the phone")
    campaigns.save(verdi, neri)
    return {"campaign": campaign, "neri": neri}


@pytest.fixture
def progress(read_model: ReadModelOf, natale: dict[str, Any]) -> ReadModel:
    model = read_model(campaign_progress.PROJECTION)
    model.catch_up()
    return model


def test_contacts_are_counted_by_the_state_their_last_event_left_them_in(
    progress: ReadModel, natale: dict[str, Any]
) -> None:
    assert campaign_progress.states(progress.store, str(natale["campaign"].id)) == {
        "closed: pledged": 1, "retry": 1, "callback": 1, "in call": 1, "queued": 1}


def test_a_lapsed_lease_puts_the_contact_back_in_the_queue(
    progress: ReadModel, natale: dict[str, Any], campaigns: Campaigns
) -> None:
    neri = natale["neri"]
    campaigns.lease(neri, GIULIA, rome("2026-11-23 19:00"))
    progress.catch_up()
    assert campaign_progress.states(progress.store, str(natale["campaign"].id))["leased"] == 1
    assert neri.expire(rome("2026-11-23 19:00") + timedelta(minutes=6))
    campaigns.save(neri)
    progress.catch_up()
    assert "leased" not in campaign_progress.states(progress.store, str(natale["campaign"].id))


def test_attempts_reached_pledges_and_money_against_the_goal(progress: ReadModel, natale: dict[str, Any]) -> None:
    totals = campaign_progress.totals(progress.store, str(natale["campaign"].id))
    assert totals is not None
    assert {k: totals[k] for k in ("name", "goal_cents", "attempts", "reached", "pledges", "pledged_cents",
                                   "paid_cents")} == {
        "name": "Natale 2026", "goal_cents": 1_000_000, "attempts": 3, "reached": 2, "pledges": 1,
        "pledged_cents": 5000, "paid_cents": 3000}  # the 70.00 outside the campaign is not counted


def test_conversion_per_volunteer_and_per_rome_hour(progress: ReadModel, natale: dict[str, Any]) -> None:
    campaign_id = str(natale["campaign"].id)
    by_volunteer = {r["volunteer_id"]: (r["attempts"], r["reached"], r["pledges"], r["pledged_cents"])
                    for r in campaign_progress.volunteers(progress.store, campaign_id)}
    assert by_volunteer == {str(GIULIA): (2, 1, 1, 5000), str(MARCO): (1, 1, 0, 0)}
    by_hour = {r["hour"]: (r["attempts"], r["reached"], r["pledges"])
               for r in campaign_progress.hours(progress.store, campaign_id)}
    assert by_hour == {10: (2, 1, 1), 18: (1, 1, 0)}


def test_the_progress_query_gives_shares_of_the_goal_and_conversion_per_reached_person(
    progress: ReadModel, natale: dict[str, Any]
) -> None:
    answer = campaigns_api.get_progress(natale["campaign"].id, progress.store)
    assert (answer.goal, answer.pledged, answer.paid) == ("10000.00", "50.00", "30.00")
    assert (answer.pledged_share_of_goal, answer.paid_share_of_goal) == (0.005, 0.003)
    assert [(c.key, c.conversion) for c in answer.per_volunteer] == [(str(GIULIA), 1.0), (str(MARCO), 0.0)]
    assert [(c.key, c.attempts, c.conversion) for c in answer.per_hour] == [("10", 2, 1.0), ("18", 1, 0.0)]
    assert answer.contacts_by_state["queued"] == 1


def test_the_progress_query_does_not_know_a_campaign_it_has_not_seen(progress: ReadModel) -> None:
    with pytest.raises(NotFound):
        campaigns_api.get_progress(uuid4(), progress.store)
