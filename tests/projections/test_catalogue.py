"""The console's catalogue: campaigns with their state, what funds' money paid for, and the callback times a
volunteer may offer (the Italian calendar of the 2024 code of conduct). Nothing else tests this read model."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from services.projections import catalogue
from tests.projections.conftest import Campaigns, Donations, ReadModel, ReadModelOf, rome

SCRIPT = ("Buongiorno {first_name}, la chiamo per {campaign}. {privacy_notice}",
          "I suoi dati sono trattati da Angeli ETS; può chiedere di non essere più chiamato.")


def test_campaigns_are_listed_newest_first_with_the_state_their_last_event_gave(
    read_model: ReadModelOf, campaigns: Campaigns
) -> None:
    # Given Natale 2026 launched, paused and resumed; Pasqua 2027 created later and still a draft;
    # and Estate 2026 launched then completed
    estate = campaigns.campaign("Estate 2026", rome("2026-06-01 09:00"), starts_on="2026-06-01",
                                ends_on="2026-08-31")
    natale = campaigns.campaign("Natale 2026", rome("2026-11-02 09:00"))
    pasqua = campaigns.campaign("Pasqua 2027", rome("2026-11-20 09:00"), starts_on="2027-03-01",
                                ends_on="2027-04-05")
    for campaign, at in ((estate, rome("2026-06-02 09:00")), (natale, rome("2026-11-03 09:00"))):
        campaign.revise_script(*SCRIPT, at)
        campaign.launch(at, at.date())
    natale.pause(rome("2026-11-10 09:00"), "volunteers at the training day")
    natale.resume(rome("2026-11-11 09:00"), date(2026, 11, 11))
    estate.complete(rome("2026-09-01 09:00"), "ended")
    campaigns.save(estate, natale)
    # When the catalogue follows the campaigns feed
    console = read_model(catalogue.PROJECTION)
    console.catch_up()
    # Then
    assert [(c["name"], c["status"]) for c in catalogue.campaigns(console.store)] == [
        ("Pasqua 2027", "draft"), ("Natale 2026", "launched"), ("Estate 2026", "completed")]
    row = catalogue.campaign(console.store, str(pasqua.id))
    assert row is not None and (row["starts_on"], row["ends_on"]) == ("2027-03-01", "2027-04-05")
    assert catalogue.campaign(console.store, "00000000-0000-4000-8000-000000000000") is None


def test_a_paused_campaign_shows_paused_until_it_resumes(read_model: ReadModelOf, campaigns: Campaigns) -> None:
    natale = campaigns.campaign("Natale 2026", rome("2026-11-02 09:00"))
    natale.revise_script(*SCRIPT, rome("2026-11-03 09:00"))
    natale.launch(rome("2026-11-03 09:00"), date(2026, 11, 3))
    natale.pause(rome("2026-11-10 09:00"), "volunteers at the training day")
    campaigns.save(natale)
    console = read_model(catalogue.PROJECTION)
    console.catch_up()
    assert [c["status"] for c in catalogue.campaigns(console.store)] == ["paused"]


def test_disbursements_are_listed_per_fund_oldest_first_with_their_purpose(
    read_model: ReadModelOf, donations: Donations
) -> None:
    famiglie, freddo = (donations.fund(name, rome("2026-10-01 09:00")) for name in ("Fondo famiglie",
                                                                                     "Emergenza freddo"))
    for fund in (famiglie, freddo):
        donations.pay(donations.pledge(fund, "500.00", rome("2026-10-02 09:00")), fund, "500.00",
                      rome("2026-10-02 10:00"))
    donations.disburse(famiglie, "120.00", rome("2026-11-20 10:00"), "Spesa per 3 famiglie")
    donations.disburse(famiglie, "80.50", rome("2026-11-05 10:00"), "Bollette di novembre")  # recorded later
    donations.disburse(freddo, "300.00", rome("2026-11-06 10:00"), "Coperte")
    console = read_model(catalogue.PROJECTION)
    console.catch_up()
    assert [(d["amount_cents"], d["purpose"]) for d in catalogue.disbursements(console.store, str(famiglie.id))] == [
        (8050, "Bollette di novembre"), (12000, "Spesa per 3 famiglie")]
    assert [d["purpose"] for d in catalogue.disbursements(console.store, str(freddo.id))] == ["Coperte"]


@pytest.fixture
def natale(read_model: ReadModelOf, campaigns: Campaigns) -> ReadModel:
    campaigns.campaign("Natale 2026", rome("2026-11-02 09:00"))
    console = read_model(catalogue.PROJECTION)
    console.catch_up()
    return console


def slots(console: ReadModel, now: datetime, **changes: Any) -> dict[str, list[str]]:
    """The callback slots offered at `now`, by Rome day, as 'HH:MM'."""
    [listed] = catalogue.campaigns(console.store)
    row = catalogue.campaign(console.store, listed["campaign_id"])
    assert row is not None
    by_day: dict[str, list[str]] = {}
    for at in catalogue.callback_slots({**row, **changes}, now):
        by_day.setdefault(at.date().isoformat(), []).append(f"{at:%H:%M}")
    return by_day


def half_hours(first: str, last: str) -> list[str]:
    start, end = (int(t[:2]) * 60 + int(t[3:]) for t in (first, last))
    return [f"{m // 60:02d}:{m % 60:02d}" for m in range(start, end + 1, 30)]


def test_callback_slots_skip_sundays_and_holidays_and_end_at_19_on_saturdays_and_holiday_eves(
    natale: ReadModel,
) -> None:
    # Given Friday 4 December 2026 at 17:40 in Rome (Tuesday 8 December is the Immacolata, a public holiday)
    offered = slots(natale, rome("2026-12-04 17:40"))
    # Then the window 10:00-20:00 gives half hours from 18:00 today, none on Sunday or on the holiday,
    # and the Saturday and the Monday before the holiday stop at 19:00
    assert offered == {
        "2026-12-04": half_hours("18:00", "19:30"),
        "2026-12-05": half_hours("10:00", "18:30"),
        "2026-12-07": half_hours("10:00", "18:30"),
        "2026-12-09": half_hours("10:00", "19:30"),
        "2026-12-10": half_hours("10:00", "19:30"),
    }


def test_a_callback_slot_is_offered_only_more_than_a_quarter_of_an_hour_ahead(natale: ReadModel) -> None:
    assert slots(natale, rome("2026-12-04 17:44"))["2026-12-04"][0] == "18:00"
    assert slots(natale, rome("2026-12-04 17:45"))["2026-12-04"][0] == "18:30"


def test_callback_slots_keep_to_the_campaign_s_weekdays_and_last_day(natale: ReadModel) -> None:
    # A campaign calling Monday to Friday only, until Wednesday 9 December
    offered = slots(natale, rome("2026-12-04 17:40"), ends_on="2026-12-09",
                    calling_window='{"end": "20:00", "start": "10:00", "timezone": "Europe/Rome", '
                                   '"weekdays": [0, 1, 2, 3, 4]}')
    assert sorted(offered) == ["2026-12-04", "2026-12-07", "2026-12-09"]
