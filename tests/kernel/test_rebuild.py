"""Rebuilding a read model beside the live one, switching to it, and dropping the old version."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.rebuild import rebuild
from services.main import Product
from services.projections import roster

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline"]}


@pytest.fixture(autouse=True)
def quick_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("services.kernel.rebuild.SWITCH_GRACE_SECONDS", 0.0)
    monkeypatch.setattr("services.kernel.catalog._REFRESH_SECONDS", 0.0)


def test_rebuilt_roster_takes_over_with_every_row_and_keeps_following(
    client: TestClient, product: Product, embedded_settings: object,
) -> None:
    for name in ("Giulia Rossi", "Marco Bianchi"):
        client.post("/volunteers", json={**GIULIA, "full_name": name})
    product.catch_up()
    old_file = Path(product.settings.data_dir) / "projection_roster.db"
    assert old_file.exists()

    new = rebuild(product.settings, roster.PROJECTION, product.feeds, product.clock, say=lambda _: None)

    assert product.read_stores.live("roster")[0] == new
    assert client.get("/stats/roster").json()["total"] == 2
    assert not old_file.exists(), "the old version is dropped after the switch"
    client.post("/volunteers", json={**GIULIA, "full_name": "Chiara Verdi"})
    product.catch_up()
    assert client.get("/stats/roster").json()["total"] == 3


def test_rebuild_can_keep_the_old_version(client: TestClient, product: Product) -> None:
    client.post("/volunteers", json=GIULIA)
    product.catch_up()
    rebuild(product.settings, roster.PROJECTION, product.feeds, product.clock, say=lambda _: None, keep_old=True)
    assert (Path(product.settings.data_dir) / "projection_roster.db").exists()
    assert client.get("/stats/roster").json()["total"] == 1
