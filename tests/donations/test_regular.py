"""Regular giving end to end on the embedded product: a year of a monthly SEPA gift (a missed month, a lapse, a
resume, an amount change), expected against received income, a rebuild from zero, and bad input storing nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.donations.application import DonationsApplication
from services.donations.domain.commitment import MandateClaim, MandateTaken, mandate_id
from services.donations.jobs import LapseSweep
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.kernel.rebuild import rebuild
from services.main import Product
from services.projections import regular
from tests.donations.conftest import Api

MANDATE = "ANG-2026-0001"


def on(clock: FixedClock, day: date) -> None:
    clock.set(datetime(day.year, day.month, day.day, 9, tzinfo=UTC))


def catch_up_regular(product: Product) -> int:
    mine = [s for s in product.subscribers if s.name == "regular"]
    return EmbeddedFollower(product.feeds, mine).catch_up()


def donations_of(product: Product) -> DonationsApplication:
    return product.services["donations"].application  # type: ignore[return-value]


def commitment_body(donor: str, fund: str, **change: Any) -> dict[str, Any]:
    return {"donor_id": donor, "fund_id": fund, "amount": "10.00", "frequency": "monthly", "day": 5,
            "start": "2026-01-01", "method": "sepa", "mandate_reference": MANDATE, "mandate_signed_on": "2025-12-20",
            **change}


@pytest.fixture
def january(clock: FixedClock) -> FixedClock:
    on(clock, date(2026, 1, 2))
    return clock


def test_a_year_of_a_monthly_gift_expected_against_received_with_a_miss_a_lapse_a_resume_and_a_change(
    api: Api, client: TestClient, product: Product, january: FixedClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = january
    giulia, famiglie = api.donor(), api.fund()
    commitment = api.post("/commitments", commitment_body(giulia, famiglie))
    cid = commitment["id"]
    assert commitment["status"] == "active" and commitment["mandate_reference"] == MANDATE
    pledge = api.pledge(giulia, famiglie, "500.00")
    sweep = LapseSweep(donations_of(product), periods=2)

    def collect(day: date, amount: str = "10.00") -> None:
        on(clock, day)
        api.pay(pledge, amount, f"SDD-{day:%Y-%m}", method="sepa", mandate_reference=MANDATE.lower())

    collect(date(2026, 1, 6))
    collect(date(2026, 2, 6))
    on(clock, date(2026, 4, 1))  # March missed: one gift is not a lapse
    assert sweep.run() == 0
    collect(date(2026, 4, 6))
    on(clock, date(2026, 7, 2))  # May and June missed
    assert sweep.run() == 1
    assert api.get(f"/commitments/{cid}")["status"] == "lapsed"
    assert sweep.run() == 0  # recorded once
    on(clock, date(2026, 8, 10))
    assert api.post(f"/commitments/{cid}/resume", {}, status=200)["status"] == "active"
    collect(date(2026, 9, 6))
    on(clock, date(2026, 9, 20))
    api.post(f"/commitments/{cid}/change", {"amount": "15.00", "from": "2026-10-01"}, status=200)
    for month in (10, 11, 12):
        collect(date(2026, month, 6), "15.00")
    on(clock, date(2026, 12, 31))

    schedule = api.get(f"/commitments/{cid}")["schedule"]
    year = [(row["due_on"][5:7], row["amount"], row["state"]) for row in schedule if row["due_on"] < "2027"]
    assert year == [("01", "10.00", "paid"), ("02", "10.00", "paid"), ("03", "10.00", "missed"),
                    ("04", "10.00", "paid"), ("05", "10.00", "missed"), ("06", "10.00", "missed"),
                    ("09", "10.00", "paid"), ("10", "15.00", "paid"), ("11", "15.00", "paid"),
                    ("12", "15.00", "paid")]  # July and August lapsed: not expected
    catch_up_regular(product)
    income = api.get("/commitments/expected-income", **{"from": "2026-01", "months": 12})
    by_month = {row["month"]: (row["expected"], row["received"]) for row in income["rows"]}
    assert by_month == {"2026-01": ("10.00", "10.00"), "2026-02": ("10.00", "10.00"), "2026-03": ("10.00", "0.00"),
                        "2026-04": ("10.00", "10.00"), "2026-05": ("10.00", "0.00"), "2026-06": ("10.00", "0.00"),
                        "2026-09": ("10.00", "10.00"), "2026-10": ("15.00", "15.00"),
                        "2026-11": ("15.00", "15.00"), "2026-12": ("15.00", "15.00")}
    assert {row["fund_id"] for row in income["rows"]} == {famiglie}
    ahead = api.get("/commitments/expected-income", **{"from": "2027-01", "months": 12})["rows"]
    assert [(r["month"], r["expected"]) for r in ahead][:2] == [("2027-01", "15.00"), ("2027-02", "15.00")]
    assert len(ahead) == 12

    monkeypatch.setattr("services.kernel.rebuild.SWITCH_GRACE_SECONDS", 0.0)
    monkeypatch.setattr("services.kernel.catalog._REFRESH_SECONDS", 0.0)
    monkeypatch.setattr("services.kernel.catalog.RETIRED_GRACE_SECONDS", 0.0)
    rebuild(product.settings, regular.PROJECTION, product.feeds, product.clock, say=lambda _: None)
    assert api.get("/commitments/expected-income", **{"from": "2026-01", "months": 12}) == income


def test_a_payment_with_a_mandate_of_another_donor_or_no_commitment_is_refused_and_records_nothing(
    api: Api, client: TestClient, product: Product, january: FixedClock,
) -> None:
    giulia, marco, famiglie = api.donor(), api.donor("Marco Bianchi"), api.fund()
    api.post("/commitments", commitment_body(giulia, famiglie))
    marcos = api.pledge(marco, famiglie, "10.00")
    on(january, date(2026, 1, 6))
    wrong = api.post(f"/pledges/{marcos}/payments", {"amount": "10.00", "method": "sepa", "reference": "SDD-1",
                                                     "mandate_reference": MANDATE}, status=409)
    assert "belongs to another donor's regular gift" in wrong["detail"]
    unknown = api.post(f"/pledges/{marcos}/payments", {"amount": "10.00", "method": "sepa", "reference": "SDD-1",
                                                       "mandate_reference": "NOPE-1"}, status=422)
    assert "no regular gift has mandate reference NOPE-1" in unknown["detail"]
    assert api.get(f"/pledges/{marcos}")["payments"] == []
    assert api.get(f"/funds/{famiglie}")["balance"] == "0.00"


def test_a_mandate_used_by_another_donors_commitment_is_refused_and_nothing_is_stored(
    api: Api, product: Product, january: FixedClock,
) -> None:
    giulia, marco, famiglie = api.donor(), api.donor("Marco Bianchi"), api.fund()
    first = api.post("/commitments", commitment_body(giulia, famiglie))["id"]
    donations = donations_of(product)
    before = donations.recorder.max_notification_id()
    refused = api.post("/commitments", commitment_body(marco, famiglie, mandate_reference=" ang-2026-0001"),
                       status=409)
    assert refused["detail"] == ("mandate reference ANG-2026-0001 is used by another donor's commitment; check the "
                                 "mandate id on the signed form")
    again = api.post("/commitments", commitment_body(giulia, famiglie), status=409)
    assert f"used by this donor's commitment {first}; end it first" in again["detail"]
    assert donations.recorder.max_notification_id() == before
    assert api.get(f"/donors/{marco}/commitments") == []
    # Once Giulia's commitment has ended, her new one may take the mandate over.
    api.post(f"/commitments/{first}/end", {"reason": "changed bank"}, status=200)
    second = api.post("/commitments", commitment_body(giulia, famiglie, amount="20.00"))["id"]
    assert [c["id"] for c in api.get(f"/donors/{giulia}/commitments")] == [first, second]
    assert donations.get(mandate_id(MANDATE), MandateClaim).commitment_id == UUID(second)


@pytest.mark.parametrize(("change", "status", "message"), [
    ({"amount": "10.005"}, 422, "amount must have at most 2 decimals (cents), got 10.005"),
    ({"amount": "-10"}, 422, "amount must be positive, got -10.00"),
    ({"day": 31}, 422, "day must be between 1 and 28 (every month has it), got 31"),
    ({"end": "2025-12-31"}, 422, "end 2025-12-31 is before start 2026-01-01; end on or after it"),
    ({"frequency": "weekly"}, 422, "frequency must be one of monthly, quarterly, yearly; got 'weekly'"),
    ({"mandate_reference": None}, 422, "a SEPA commitment needs its mandate reference"),
    ({"fund_id": "6a0f5d2e-9999-4c2b-9b55-000000000009"}, 404,
     "fund 6a0f5d2e-9999-4c2b-9b55-000000000009 not found"),
    ({"donor_id": "6a0f5d2e-9999-4c2b-9b55-000000000009"}, 404,
     "donor 6a0f5d2e-9999-4c2b-9b55-000000000009 not found"),
])
def test_bad_commitments_are_refused_with_a_clear_message_and_store_nothing(
    api: Api, product: Product, january: FixedClock, change: dict[str, Any], status: int, message: str,
) -> None:
    giulia, famiglie = api.donor(), api.fund()
    donations = donations_of(product)
    before = donations.recorder.max_notification_id()
    refused = api.post("/commitments", commitment_body(giulia, famiglie, **change), status=status)
    assert message in refused["detail"]
    assert donations.recorder.max_notification_id() == before
    assert not donations.exists(mandate_id(MANDATE))


def test_pause_change_and_end_refuse_what_the_state_forbids(api: Api, january: FixedClock) -> None:
    giulia, famiglie = api.donor(), api.fund()
    cid = api.post("/commitments", commitment_body(giulia, famiglie))["id"]
    assert api.post(f"/commitments/{cid}/pause", {}, status=200)["status"] == "paused"
    assert "only an active one" in api.post(f"/commitments/{cid}/pause", {}, status=409)["detail"]
    assert "at most 2 decimals" in api.post(f"/commitments/{cid}/change", {"amount": "1.001", "from": "2026-02-01"},
                                            status=422)["detail"]
    ended = api.post(f"/commitments/{cid}/end", {"reason": "the donor asked to stop"}, status=200)
    assert (ended["status"], ended["end_reason"]) == ("ended", "the donor asked to stop")
    assert "has ended" in api.post(f"/commitments/{cid}/change", {"amount": "5.00", "from": "2026-02-01"},
                                   status=409)["detail"]
    assert api.post(f"/commitments/{cid}/end", {"reason": ""}, status=422)
    assert "from must be a month" in api.get("/commitments/expected-income", status=422, **{"from": "2026-13"})[
        "detail"]


def test_imported_lines_with_a_mandate_reference_pay_the_commitment_and_lines_without_one_import_as_before(
    api: Api, client: TestClient, product: Product, january: FixedClock,
) -> None:
    giulia, marco, famiglie = api.donor(), api.donor("Marco Bianchi"), api.fund()
    cid = api.post("/commitments", commitment_body(giulia, famiglie))["id"]
    on(january, date(2026, 3, 1))
    header = "donor_id,donor_name,fund_id,amount,method,reference,received_at,mandate_reference"
    lines = [
        f"{giulia},,{famiglie},10.00,sepa,SDD-01,2026-01-06,{MANDATE}",
        f",Chiara Verdi,{famiglie},25.00,paypal,PP-9,2026-01-07,",
        f"{marco},,{famiglie},10.00,sepa,SDD-02,2026-01-06,{MANDATE}",
        f"{giulia},,{famiglie},10.00,sepa,SDD-03,2026-02-06,NOPE-1",
        f",Luca Neri,{famiglie},10.00,sepa,SDD-04,2026-02-06,{MANDATE}",
        f"{giulia},,{famiglie},10.00,sepa,SDD-01,2026-01-06,{MANDATE}",
        f"{giulia},,{famiglie},10.00,sepa,SDD-05,2026-02-06,{MANDATE}",
    ]
    content = "\n".join([header, *lines]).encode()

    def upload() -> Any:
        response = client.post("/donations/import", files={"file": ("sepa.csv", content, "text/csv")})
        assert response.status_code == 201, response.text
        return response.json()

    report = upload()
    assert (report["rows"], report["imported"], report["duplicates"], report["rejected"]) == (7, 3, 1, 3)
    assert [(x["line"], x["outcome"]) for x in report["lines"]] == [
        (4, "rejected"), (5, "rejected"), (6, "rejected"), (7, "duplicate")]
    reasons = [x["reason"] for x in report["lines"]]
    assert "belongs to another donor's regular gift" in reasons[0]
    assert "no regular gift has mandate reference NOPE-1" in reasons[1]
    assert "names its donor by donor_id" in reasons[2]
    schedule = api.get(f"/commitments/{cid}")["schedule"]
    assert [(r["due_on"], r["state"], r["paid"]) for r in schedule[:3]] == [
        ("2026-01-05", "paid", "10.00"), ("2026-02-05", "paid", "10.00"), ("2026-03-05", "open", None)]
    assert api.get(f"/funds/{famiglie}")["balance"] == "45.00"

    again = upload()  # the same file again changes nothing
    assert (again["imported"], again["duplicates"]) == (0, 4)
    assert api.get(f"/funds/{famiglie}")["balance"] == "45.00"
    assert len(api.get(f"/commitments/{cid}")["extra_gifts"]) == 0


def test_campaign_managers_keep_regular_gifts_auditors_read_them_and_other_roles_are_refused(
    api: Api, client_as: Any, january: FixedClock,
) -> None:
    giulia, famiglie = api.donor(), api.fund()
    manager, auditor = client_as("campaign_manager"), client_as("auditor")
    created = manager.post("/commitments", json=commitment_body(giulia, famiglie))
    assert created.status_code == 201, created.text
    cid = created.json()["id"]
    for path in (f"/commitments/{cid}", f"/donors/{giulia}/commitments", "/commitments/expected-income?from=2026-01"):
        assert manager.get(path).status_code == 200
        assert auditor.get(path).status_code == 200, path
        for role in ("coordinator", "volunteer", "viewer", "public"):
            assert client_as(role).get(path).status_code in (401, 403), (role, path)
    assert auditor.post(f"/commitments/{cid}/pause").status_code == 403
    assert auditor.post("/commitments", json=commitment_body(giulia, famiglie, mandate_reference="X-1")).status_code \
        == 403
    assert client_as("coordinator").post(f"/commitments/{cid}/end", json={"reason": "no"}).status_code == 403
    assert manager.post(f"/commitments/{cid}/pause").json()["status"] == "paused"
    assert manager.post(f"/commitments/{cid}/resume").json()["status"] == "active"


def test_the_lapse_setting_is_read_from_the_environment_checked_and_given_to_the_lapse_job(
    tmp_path: Any, clock: FixedClock,
) -> None:
    from services.kernel.settings import Settings, SettingsError
    from services.main import build

    assert Settings.from_env({}).regular_lapse_periods == 2
    with pytest.raises(SettingsError, match="ANGELI_REGULAR_LAPSE_PERIODS must be between 1 and 24, got 0"):
        Settings.from_env({"ANGELI_REGULAR_LAPSE_PERIODS": "0"})
    settings = Settings.from_env({"ANGELI_REGULAR_LAPSE_PERIODS": "3", "ANGELI_DATA_DIR": str(tmp_path / "var")})
    product = build(settings, clock)
    try:
        job = next(j for j in product.services["donations"].jobs if j.id == "donations.lapse_regular_gifts")
        assert job.run.__self__.periods == 3  # type: ignore[attr-defined]
    finally:
        product.stop()


def test_two_processes_claiming_one_mandate_at_once_store_one_commitment_and_refuse_the_other(
    tmp_path: Any, clock: FixedClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two donations applications on one event store (two processes): the second has checked the mandate before
    the first saved it, so its claim of the same uuid5 id collides; it looks again and refuses."""
    import os

    from services.kernel.eventstore import event_store_env
    from services.kernel.readmodel import SqliteStore
    from services.kernel.settings import Settings
    from services.privacy.application import PrivacyVault

    on(clock, date(2026, 1, 2))
    env = event_store_env(Settings(data_dir=tmp_path / "var"), "donations")
    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32))
    first, second = DonationsApplication(env, vault, clock), DonationsApplication(env, vault, clock)
    giulia, marco = first.register_donor("person", {"name": "Giulia"}), first.register_donor("person", {"name": "M"})
    fund = first.create_fund("Fondo famiglie")
    looks = {"n": 0}
    real_exists = second.exists

    def raced(aggregate_id: UUID) -> bool:
        if aggregate_id == mandate_id(MANDATE) and looks["n"] == 0:
            looks["n"] += 1
            first.set_up_commitment(giulia, fund, Decimal("10.00"), "monthly", 5, date(2026, 1, 1), None, "sepa",
                                    MANDATE, date(2025, 12, 20))
            return False  # what the second process read just before the first one saved
        return real_exists(aggregate_id)

    monkeypatch.setattr(second, "exists", raced)
    before = second.recorder.max_notification_id()
    with pytest.raises(MandateTaken, match="used by another donor's commitment"):
        second.set_up_commitment(marco, fund, Decimal("10.00"), "monthly", 5, date(2026, 1, 1), None, "sepa",
                                 MANDATE, date(2025, 12, 20))
    assert looks["n"] == 1
    # the first's commitment, its claim, its donor index started and added to: nothing of the second
    assert second.recorder.max_notification_id() == before + 4
    assert [c.donor_id for c in second.donor_commitments(giulia)] == [giulia]
    assert second.donor_commitments(marco) == []
