"""Donation fixtures: the donations application on the in-memory store, and a few helpers for the API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from uuid import UUID

import pytest
from fastapi.testclient import TestClient

from services.donations.application import DonationsApplication
from services.kernel.clock import FixedClock
from services.kernel.follower import EmbeddedFollower
from services.main import Product
from services.privacy.application import PrivacyVault
from tests.conftest import MEMORY


@pytest.fixture
def donations(vault: PrivacyVault, clock: FixedClock) -> DonationsApplication:
    return DonationsApplication(dict(MEMORY), vault=vault, clock=clock)


@pytest.fixture
def giulia(donations: DonationsApplication) -> UUID:
    return donations.register_donor("person", {"name": "Giulia Rossi", "tax_code": "RSSGLI80A41F205X"})


@pytest.fixture
def famiglie(donations: DonationsApplication) -> UUID:
    return donations.create_fund("Fondo famiglie")


def money(donations: DonationsApplication, donor: UUID, fund: UUID, amount: str, **links: Any) -> UUID:
    return donations.make_pledge(donor, fund, "money", Decimal(amount), **links)


class Api:
    """The HTTP API in the words of the tests: each call asserts its status and returns the JSON."""

    def __init__(self, client: TestClient) -> None:
        self.client = client

    def post(self, path: str, body: dict[str, Any], status: int = 201, **headers: str) -> Any:
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code == status, response.text
        return response.json()

    def get(self, path: str, status: int = 200, **params: Any) -> Any:
        response = self.client.get(path, params=params)
        assert response.status_code == status, response.text
        return response.json()

    def donor(self, name: str = "Giulia Rossi") -> str:
        return str(self.post("/donors", {"kind": "person", "name": name})["id"])

    def fund(self, name: str = "Fondo famiglie") -> str:
        return str(self.post("/funds", {"name": name})["id"])

    def pledge(self, donor: str, fund: str, amount: str = "50.00", **extra: Any) -> str:
        return str(self.post("/pledges", {"donor_id": donor, "fund_id": fund, "amount": amount, **extra})["id"])

    def pay(self, pledge: str, amount: str, reference: str, method: str = "card", **extra: Any) -> str:
        body = {"amount": amount, "method": method, "reference": reference, **extra}
        return str(self.post(f"/pledges/{pledge}/payments", body)["payment_id"])


@pytest.fixture
def api(client: TestClient) -> Api:
    return Api(client)


def catch_up_ledger(product: Product) -> int:
    """Run only the donation read models (ledger, transparency), so these tests do not hang on other areas'."""
    mine = [s for s in product.subscribers if s.name in ("ledger", "transparency")]
    return EmbeddedFollower(product.feeds, mine).catch_up()
