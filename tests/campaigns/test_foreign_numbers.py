"""A number abroad over HTTP: called only in its own time under a policy that governs it, else never."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import clock_in, launched


def test_a_new_york_donor_is_not_offered_under_the_italian_policy_and_the_explainer_says_why(
        client: TestClient, product: Product, clock: FixedClock, giulia: UUID) -> None:
    # Given John in New York on a campaign under the Italian policy, at 15:30 in Rome (09:30 in New York)
    campaign_id = launched(client, rows="nome;telefono\nJohn;+1 212 555 1234\n")
    clock.set(datetime(2026, 11, 23, 14, 30, tzinfo=UTC))
    clock_in(product, giulia, clock.now())
    # When Giulia asks for the next contact
    answer = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": str(giulia)}).json()
    # Then nobody is offered, and John's eligibility says no policy governs his number
    assert answer["offer"] is None
    john = client.get(f"/campaigns/{campaign_id}/contacts").json()["contacts"][0]["contact_id"]
    why = client.get(f"/campaigns/{campaign_id}/contacts/{john}/eligibility").json()
    assert why["callable_now"] is False
    assert ("no calling policy for numbers in America/New_York: it-telemarketing-2024@v1 governs numbers in "
            "Europe/Rome, Europe/Vatican") in why["reasons"]
