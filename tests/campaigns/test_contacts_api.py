"""A newcomer's first hour over HTTP: campaigns listed, the import's contact ids, contacts by state, the policy."""

from __future__ import annotations

from uuid import UUID

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import campaign_body, clock_in, csv_file, launched

ROWS = ("nome;telefono;comune\nGiulia;02 1234 5678;Milano\nMarco;06 9876 5432;Roma\nAnna;011 555 1234;Torino\n"
        "Giulia di nuovo;02 1234 5678;Milano\nNessuno;12;\n")


def test_the_contact_import_answers_with_each_imported_contacts_id_and_its_line(client: TestClient) -> None:
    # Given a draft campaign
    campaign_id = client.post("/campaigns", json=campaign_body()).json()["id"]
    # When a file of five rows is imported (one a duplicate of Giulia, one invalid)
    answer = client.post(f"/campaigns/{campaign_id}/contacts/import", files=csv_file(ROWS)).json()
    # Then the answer names the three contacts with the line each came from
    assert [c["line"] for c in answer["contacts"]] == [2, 3, 4]
    assert len({c["contact_id"] for c in answer["contacts"]}) == 3
    # and each id opens the contact's eligibility explainer
    first = answer["contacts"][0]["contact_id"]
    assert client.get(f"/campaigns/{campaign_id}/contacts/{first}/eligibility").status_code == 200


def test_a_campaigns_contacts_are_listed_a_page_at_a_time(client: TestClient) -> None:
    # Given a campaign of three contacts
    campaign_id = launched(client, rows=ROWS)
    # When they are read two at a time
    first = client.get(f"/campaigns/{campaign_id}/contacts", params={"limit": 2}).json()
    second = client.get(f"/campaigns/{campaign_id}/contacts",
                        params={"limit": 2, "after": first["next_after"]}).json()
    # Then the two pages hold the three contacts once each, all fresh, and the last page says there is no more
    ids = [c["contact_id"] for c in first["contacts"] + second["contacts"]]
    assert len(first["contacts"]) == 2 and len(set(ids)) == 3
    assert second["next_after"] is None
    assert {c["state"] for c in first["contacts"] + second["contacts"]} == {"fresh"}


def test_contacts_are_filtered_by_state(client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    # Given a campaign of three contacts, one of them leased to a volunteer
    campaign_id = launched(client, rows=ROWS)
    clock_in(product, giulia, clock.now())
    leased = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()
    # When the manager asks for the leased contacts, then for the fresh ones
    only_leased = client.get(f"/campaigns/{campaign_id}/contacts", params={"state": "leased"}).json()["contacts"]
    fresh = client.get(f"/campaigns/{campaign_id}/contacts", params={"state": "fresh"}).json()["contacts"]
    # Then each list holds exactly those
    assert [(c["contact_id"], c["state"], c["volunteer_id"]) for c in only_leased] == [
        (leased["offer"]["contact_id"], "leased", str(giulia))]
    assert len(fresh) == 2 and leased["offer"]["contact_id"] not in {c["contact_id"] for c in fresh}


def test_listing_contacts_with_a_wrong_state_or_page_size_says_what_is_allowed(client: TestClient) -> None:
    campaign_id = launched(client, rows=ROWS)
    wrong_state = client.get(f"/campaigns/{campaign_id}/contacts", params={"state": "sleeping"})
    assert wrong_state.status_code == 422
    assert "'fresh', 'retry', 'callback', 'leased' or 'closed'" in wrong_state.text
    assert client.get(f"/campaigns/{campaign_id}/contacts", params={"limit": 0}).status_code == 422
    assert client.get(f"/campaigns/{campaign_id}/contacts", params={"after": "not-an-id"}).status_code == 422


def test_listing_the_contacts_of_an_unknown_campaign_is_not_found(client: TestClient) -> None:
    response = client.get("/campaigns/00000000-0000-4000-8000-000000000000/contacts")
    assert response.status_code == 404


def test_the_public_api_lists_every_campaign_with_its_state(client: TestClient) -> None:
    # Given a launched campaign and a draft
    natale = launched(client, "Natale 2026")
    pasqua = client.post("/campaigns", json=campaign_body("Pasqua 2027")).json()["id"]
    # When the campaigns are listed
    listed = client.get("/campaigns")
    # Then both are there, newest first, with their state
    assert listed.status_code == 200
    assert [(c["id"], c["name"], c["status"]) for c in listed.json()] == [
        (pasqua, "Pasqua 2027", "draft"), (natale, "Natale 2026", "launched")]
    drafts = client.get("/campaigns", params={"status": "draft"}).json()
    assert [c["name"] for c in drafts] == ["Pasqua 2027"]
    assert client.get("/campaigns", params={"status": "asleep"}).status_code == 422


def test_a_campaigns_policy_answer_holds_the_policys_numbers(client: TestClient) -> None:
    campaign_id = client.post("/campaigns", json=campaign_body()).json()["id"]
    policy = client.get(f"/campaigns/{campaign_id}/policy").json()
    assert policy["policy"] == "it-telemarketing-2024@v1"
    assert policy["attempts_per_person_per_week"] == 3  # across every campaign
    assert policy["rest_days_after_a_conversation"] == 30
    assert policy["rest_days_after_an_abandoned_call"] == 5
    assert policy["register_max_age_days"] == 15
    assert policy["hours_by_weekday"] == {
        "monday": "09:00-21:00", "tuesday": "09:00-21:00", "wednesday": "09:00-21:00", "thursday": "09:00-21:00",
        "friday": "09:00-21:00", "saturday": "09:00-19:00", "sunday": None}
    assert policy["eve_of_a_public_holiday_ends_at"] == "19:00"
    assert policy["governs_numbers_in"] == ["Europe/Rome", "Europe/Vatican"]
    assert {"municipality": "Milano", "month": 12, "day": 7} in policy["patron_saint_days"]
    assert policy["campaign_window"] == {
        "weekdays": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday"], "hours": "10:00-20:00",
        "in": "the contact's local time"}
