"""Read-your-writes for one's own presence: the dialer never tells a volunteer to do what they just did."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from services.calls.contract import PRESENCE_MESSAGES as PRESENCE
from services.campaigns.reactions import CALLS_REACTION
from services.kernel.clock import FixedClock
from services.main import Product
from tests.campaigns.conftest import launched

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["outreach"]}
ROWS = "nome;telefono;comune\nMarco;06 9876 5432;Roma\n"


def test_a_volunteer_asking_for_a_contact_right_after_clocking_in_gets_one(client: TestClient) -> None:
    # Given a running campaign and a volunteer who clocks in (the feed has not delivered the clock-in yet)
    campaign_id = launched(client, rows=ROWS)
    volunteer_id = client.post("/volunteers", json=GIULIA).json()["id"]
    assert client.post(f"/volunteers/{volunteer_id}/clock-in").status_code == 200
    # When she asks for the next contact at once
    response = client.post(f"/campaigns/{campaign_id}/dialer/next", json={"volunteer_id": volunteer_id})
    # Then she is offered Marco, not told to clock in
    assert response.status_code == 200, response.text
    assert response.json()["offer"]["first_name"] == "Marco"



def test_the_unhandled_tail_holds_the_newest_message_until_the_reaction_has_it(
        client: TestClient, product: Product, clock: FixedClock) -> None:
    # Given Giulia clocked in and, half an hour later, out, and the campaigns reaction behind the calls feed
    volunteer_id = client.post("/volunteers", json=GIULIA).json()["id"]
    assert client.post(f"/volunteers/{volunteer_id}/clock-in").status_code == 200
    clock.advance(timedelta(minutes=30))
    assert client.post(f"/volunteers/{volunteer_id}/clock-out").status_code == 200
    tail = product.unhandled()[(CALLS_REACTION, "calls")]
    hers = lambda m: m.data.get("volunteer_id") == volunteer_id  # noqa: E731
    # When the tail is read before and after the reaction catches up
    before = tail.latest(PRESENCE, hers)
    product.catch_up()
    # Then it first gives her clock-out, the newest, and then nothing
    assert before is not None and before.type == "Presence.ClockedOut"
    assert tail.latest(PRESENCE, hers) is None
