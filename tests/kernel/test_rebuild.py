"""Rebuilding a read model beside the live one, switching to it, and dropping the old version."""

from __future__ import annotations

import os
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
    monkeypatch.setattr("services.kernel.catalog.RETIRED_GRACE_SECONDS", 0.0)


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


def test_health_after_a_rebuild_reports_the_new_versions_position_without_lag(
    client: TestClient, product: Product,
) -> None:
    client.post("/volunteers", json=GIULIA)
    product.catch_up()
    client.get("/health")  # the checks have looked at the first version once
    new = rebuild(product.settings, roster.PROJECTION, product.feeds, product.clock, say=lambda _: None)

    client.post("/volunteers", json={**GIULIA, "full_name": "Marco Bianchi"})
    product.catch_up()
    components = client.get("/health").json()["components"]

    head = product.feeds["calls"].head()
    version, store = product.read_stores.live("roster")
    assert version == new
    assert store.positions() == {("calls", 0): head}
    assert components["projection.roster"]["positions"] == {"calls#0": head}
    assert components["feed.roster"]["lag"] == {"calls": 0}


def test_a_dropped_version_is_closed_so_its_disk_space_is_freed(client: TestClient, product: Product) -> None:
    client.post("/volunteers", json=GIULIA)
    product.catch_up()
    old_file = str(Path(product.settings.data_dir) / "projection_roster.db")
    assert old_file in open_files(), "the live version is open before the rebuild"

    rebuild(product.settings, roster.PROJECTION, product.feeds, product.clock, say=lambda _: None)
    client.get("/stats/roster")  # readers notice the switch
    client.get("/stats/roster")  # and close the retired version once its grace has passed

    assert not [f for f in open_files() if f.startswith(old_file)], "no descriptor keeps the dropped file alive"


def open_files() -> list[str]:
    """What this process's descriptors point at; a deleted file reads '<path> (deleted)'."""
    fds = Path("/proc/self/fd")
    names = []
    for fd in fds.iterdir():
        try:
            names.append(os.readlink(fd))
        except OSError:
            continue  # closed while we looked
    return names
