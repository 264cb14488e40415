"""`angeli demo` fills an empty embedded store through the applications and prints a working administrator."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.kernel.settings import Settings
from services.main import build, create_api_for

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def demo(data: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(data)}
    return subprocess.run([sys.executable, "-m", "services.cli", "demo"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=240)


def test_the_demo_centre_has_every_page_alive_and_a_verifiable_ledger(tmp_path: Path) -> None:
    data = tmp_path / "var"
    made = demo(data)
    assert made.returncode == 0, made.stderr[-2000:]
    email, password = re.search(r"sign in as (\S+) with password (\S+)", made.stdout).groups()  # type: ignore[union-attr]
    product = build(Settings(mode="embedded", data_dir=data))
    try:
        product.catch_up()
        client = TestClient(create_api_for(product))
        client.post("/auth/sign-in", json={"email": email, "password": password}).raise_for_status()
        campaigns = client.get("/console/api/campaigns").json()
        # one campaign ended during the five months, one runs now; each named for the season it started in
        assert sorted(c["status"] for c in campaigns) == ["completed", "launched"]
        assert all(re.fullmatch(r"(Inverno|Primavera|Estate|Autunno) solidale \d{4}|Natale \d{4}", c["name"])
                   for c in campaigns)
        progress = client.get(f"/stats/campaigns/{campaigns[0]['campaign_id']}/progress").json()
        assert sum(progress["contacts_by_state"].values()) >= 1500 and progress["pledges"] > 0
        hours = client.get("/console/api/hours?period=week").json()
        assert len(hours["volunteers"]) == 50 and len(hours["centre"]) >= 20
        assert client.get("/ledger/verify").json()["ok"] is True
        public = client.get("/").text
        assert "Coperte e sacchi a pelo" in public and "Pacchi di Natale" in public
    finally:
        product.stop()
    again = demo(data)
    assert again.returncode == 1 and "already holds events" in again.stdout
