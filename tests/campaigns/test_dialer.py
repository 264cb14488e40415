"""The dialer over HTTP on the embedded product: one contact to one volunteer, inside the window, never suppressed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from fastapi.testclient import TestClient

from services.campaigns.jobs import sweep
from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import app_of, call_ended, campaign_body, clock_in, launched, register_file, send

ROWS = "nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"


def next_for(client: TestClient, campaign_id: str, volunteer: UUID, **kw: object) -> dict:  # type: ignore[type-arg]
    response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(volunteer)}, **kw)
    assert response.status_code == 200, response.text
    body: dict = response.json()  # type: ignore[type-arg]
    return body


def test_a_clocked_in_volunteer_gets_a_leased_contact_with_its_proof_of_compliance(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    offer = next_for(client, campaign_id, giulia)["offer"]
    assert offer["policy"] == "it-telemarketing-2024@v1"
    # the proof: the allowed interval it was offered in, from the campaign window's 10:00 to its 20:00 in Rome
    allowed = datetime.fromisoformat(offer["allowed_from"]), datetime.fromisoformat(offer["allowed_until"])
    assert allowed == (datetime(2026, 11, 23, 9, 0, tzinfo=UTC), datetime(2026, 11, 23, 19, 0, tzinfo=UTC))
    assert allowed[0] <= clock.now() < allowed[1]
    assert offer["phone"].startswith("+39") and offer["first_name"] in ("Giulia", "Marco", "Anna")
    assert "può chiedere di non essere più chiamato" in offer["script"]
    assert datetime.fromisoformat(offer["lease_until"]) == clock.now() + timedelta(minutes=5)


def test_a_volunteer_who_is_not_clocked_in_is_refused(client: TestClient, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)})
    assert response.status_code == 409
    assert "not clocked in" in response.json()["detail"]


def test_three_volunteers_get_three_different_contacts_and_a_fourth_gets_none_with_the_reason(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS)
    volunteers = [uuid4() for _ in range(4)]
    for volunteer in volunteers:
        clock_in(product, volunteer, clock.now())
    offers = [next_for(client, campaign_id, v)["offer"] for v in volunteers[:3]]
    assert len({o["contact_id"] for o in offers}) == 3
    fourth = next_for(client, campaign_id, volunteers[3])
    assert fourth["offer"] is None
    assert "3 leased to a volunteer" in fourth["why_none"]
    again = next_for(client, campaign_id, volunteers[0])["offer"]
    assert again["contact_id"] == offers[0]["contact_id"]  # asking again returns the held contact


def test_nobody_is_offered_on_sunday_and_the_campaign_says_why(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock.set(datetime(2026, 11, 29, 10, 0, tzinfo=UTC))
    clock_in(product, giulia, clock.now())
    assert next_for(client, campaign_id, giulia)["offer"] is None
    why = client.get(f"/campaigns/{campaign_id}/eligibility").json()
    assert why["by_reason"] == {"sunday": 3} and why["callable_now"] == 0


def test_no_answer_schedules_a_retry_in_another_band_and_the_explainer_says_when(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows="telefono\n02 1234 5678\n")
    clock_in(product, giulia, clock.now())
    offer = next_for(client, campaign_id, giulia)["offer"]
    call_ended(product, giulia, campaign_id, offer["contact_id"], "no_answer", clock.now() + timedelta(minutes=1))
    assert next_for(client, campaign_id, giulia)["offer"] is None
    why = client.get(f"/campaigns/{campaign_id}/contacts/{offer['contact_id']}/eligibility").json()
    assert why["callable_now"] is False
    assert why["reasons"] == ["retry scheduled for 2026-11-23T13:01:00+00:00"]
    clock.set(datetime(2026, 11, 23, 13, 1, tzinfo=UTC))
    assert next_for(client, campaign_id, giulia)["offer"]["kind"] == "retry"


def test_due_callbacks_come_before_fresh_contacts(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    first = next_for(client, campaign_id, giulia)["offer"]
    call_ended(product, giulia, campaign_id, first["contact_id"], "callback_requested", clock.now(),
               callback_at=clock.now() + timedelta(hours=1))
    clock.advance(timedelta(hours=1))
    offer = next_for(client, campaign_id, giulia)["offer"]
    assert offer["contact_id"] == first["contact_id"] and offer["kind"] == "callback"


def test_opt_out_during_a_leased_call_is_never_offered_again_in_any_campaign(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    natale = launched(client, "Natale 2026", rows="telefono\n02 1234 5678\n")
    pasqua = launched(client, "Pasqua 2027", rows="telefono\n+39 02 1234 5678\n")
    clock_in(product, giulia, clock.now())
    offer = next_for(client, natale, giulia)["offer"]
    marco = uuid4()
    clock_in(product, marco, clock.now())
    assert next_for(client, pasqua, marco)["offer"] is None  # the person is being called in Natale
    assert client.post("/suppression/opt-outs", json={"phone": "02 1234 5678", "source": "letter"}).status_code == 201
    call_ended(product, giulia, natale, offer["contact_id"], "answered", clock.now() + timedelta(minutes=3))
    for days in (0, 1, 16, 31):
        clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=UTC) + timedelta(days=days))
        client.post("/suppression/register", **register_file([], clock.now().date().isoformat()))
        for campaign_id in (natale, pasqua):
            assert next_for(client, campaign_id, giulia)["offer"] is None
    why = client.get(f"/campaigns/{pasqua}/eligibility").json()
    assert why["by_reason"] == {"opted out": 1}


def test_do_not_call_disposition_suppresses_at_once_everywhere(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    natale = launched(client, "Natale 2026", rows="telefono\n02 1234 5678\n")
    pasqua = launched(client, "Pasqua 2027", rows="telefono\n02 1234 5678\n")
    clock_in(product, giulia, clock.now())
    offer = next_for(client, natale, giulia)["offer"]
    call_ended(product, giulia, natale, offer["contact_id"], "do_not_call", clock.now())
    clock.advance(timedelta(days=31))
    client.post("/suppression/register", **register_file([], clock.now().date().isoformat()))
    assert next_for(client, pasqua, giulia)["offer"] is None
    assert client.get(f"/suppression/persons/{offer['person_id']}").json()["suppressed"] == "opted out"


def test_a_number_on_the_register_is_offered_only_after_later_consent(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows="telefono\n02 1234 5678\n")
    assert client.post("/suppression/register", **register_file(["+390212345678"], "2026-11-22")).status_code == 201
    clock_in(product, giulia, clock.now())
    assert next_for(client, campaign_id, giulia)["offer"] is None
    consent = {"phone": "02 1234 5678", "source": "modulo web", "given_by": "operatore Sara"}
    assert client.post("/suppression/consents", json=consent).status_code == 201
    assert next_for(client, campaign_id, giulia)["offer"] is not None


def test_a_stale_register_check_blocks_launch_and_offers(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    draft = client.post("/campaigns", json=campaign_body("Pasqua 2027")).json()["id"]
    clock.advance(timedelta(days=16))
    refused = client.post(f"/campaigns/{draft}/launch")
    assert refused.status_code == 409 and "2026-11-20" in refused.json()["detail"]
    clock_in(product, giulia, clock.now())
    response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)})
    assert response.status_code == 409 and "opposition register" in response.json()["detail"]


def test_weekly_cap_holds_a_person_across_campaigns(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaigns = [launched(client, f"Campagna {i}", rows="telefono\n02 1234 5678\n") for i in range(4)]
    clock_in(product, giulia, clock.now())
    start = clock.now()
    for index, campaign_id in enumerate(campaigns[:3]):
        clock.set(start + timedelta(days=index))
        offer = next_for(client, campaign_id, giulia)["offer"]
        call_ended(product, giulia, campaign_id, offer["contact_id"], "no_answer", clock.now())
    clock.set(start + timedelta(days=3))
    assert next_for(client, campaigns[3], giulia)["offer"] is None
    assert client.get(f"/campaigns/{campaigns[3]}/eligibility").json()["by_reason"] == {
        "weekly cap of 3 attempts reached": 1}
    clock.set(start + timedelta(days=7, hours=1))
    assert next_for(client, campaigns[3], giulia)["offer"] is not None


def test_a_lapsed_lease_returns_to_the_queue_and_a_handed_back_contact_too(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows="telefono\n02 1234 5678\n")
    marco = uuid4()
    clock_in(product, giulia, clock.now())
    clock_in(product, marco, clock.now())
    offer = next_for(client, campaign_id, giulia)["offer"]
    clock.advance(timedelta(minutes=6))
    application = app_of(product)
    assert sweep(application)["expired"] == 1
    again = next_for(client, campaign_id, marco)["offer"]
    assert again["contact_id"] == offer["contact_id"]
    released = client.post(f"/campaigns/{campaign_id}/contacts/{offer['contact_id']}/lease/release",
                           json={"volunteer_id": str(marco), "reason": "headset broken"})
    assert released.status_code == 204
    assert next_for(client, campaign_id, giulia)["offer"]["contact_id"] == offer["contact_id"]
    renewed = client.post(f"/campaigns/{campaign_id}/contacts/{offer['contact_id']}/lease/renew",
                          json={"volunteer_id": str(marco)})
    assert renewed.status_code == 409  # only the holder may renew


def test_the_sweep_completes_a_campaign_after_its_end_date(client: TestClient, product: Product,
                                                           clock: FixedClock) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock.set(datetime(2027, 1, 1, 9, 0, tzinfo=UTC))
    application = app_of(product)
    assert sweep(application)["completed"] == 1
    assert client.get(f"/campaigns/{campaign_id}").json()["status"] == "completed"


def test_a_retried_next_contact_request_with_the_same_key_gets_the_same_offer(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    first = next_for(client, campaign_id, giulia, headers={"Idempotency-Key": "next-1"})
    again = next_for(client, campaign_id, giulia, headers={"Idempotency-Key": "next-1"})
    assert again == first


def test_progress_counts_attempts_reached_pledges_and_money_against_goal(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    offer = next_for(client, campaign_id, giulia)["offer"]
    call_ended(product, giulia, campaign_id, offer["contact_id"], "pledged", clock.now())
    product.catch_up()
    from services.kernel.messages import Message
    from services.kernel.readmodel import apply_batch
    from services.projections.campaign_progress import PROJECTION
    pledge = str(uuid4())
    apply_batch(product.read_stores["campaign_progress"], PROJECTION, [
        Message("donations", 1, "Pledge.Made", 1, pledge, "", {
            "donor_id": str(uuid4()), "fund_id": str(uuid4()), "kind": "money", "amount": "50.00",
            "campaign_id": campaign_id, "contact_id": offer["contact_id"], "call_id": None,
            "volunteer_id": str(giulia), "made_at": clock.now().isoformat()}),
        Message("donations", 2, "Pledge.PaymentReceived", 1, pledge, "", {
            "payment_id": "p1", "amount": "30.00", "method": "bank", "reference": "r",
            "received_at": clock.now().isoformat()}),
    ])
    progress = client.get(f"/stats/campaigns/{campaign_id}/progress").json()
    assert progress["attempts"] == 1 and progress["reached"] == 1 and progress["pledges"] == 1
    assert (progress["pledged"], progress["paid"], progress["goal"]) == ("50.00", "30.00", "10000.00")
    assert progress["contacts_by_state"] == {"queued": 2, "closed: pledged": 1}
    assert progress["per_volunteer"][0]["conversion"] == 1.0
    assert progress["per_hour"][0]["key"] == "10"


def test_forecast_counts_contacts_per_day_and_the_exhaustion_date(client: TestClient) -> None:
    campaign_id = launched(client, rows=ROWS)
    response = client.get(f"/campaigns/{campaign_id}/forecast",
                          params={"volunteers": 1, "hours_per_day": "0.05", "handle_seconds": 180})
    body = response.json()
    assert body["contacts_per_day"] == 1 and body["open_contacts"] == 3
    assert body["exhausted_on"] == "2026-11-25"


def test_clock_in_messages_are_idempotent_and_later_clock_out_wins(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    send(product, "Presence.ClockedOut", str(giulia),
         {"volunteer_id": str(giulia), "at": (clock.now() + timedelta(minutes=1)).isoformat(), "corrected": False})
    clock_in(product, giulia, clock.now())  # a late duplicate of the earlier clock-in
    assert client.post(f"/campaigns/{campaign_id}/dialer/next",
                       json={"volunteer_id": str(giulia)}).status_code == 409
