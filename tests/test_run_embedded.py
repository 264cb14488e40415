"""`angeli run` (what `make run` starts) from an empty data folder: health, the slice, data kept on restart."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[1]
GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline"]}
ADMIN = {"email": "anna@angeli.example", "password": "sette-angeli-milano"}


@contextmanager
def running_product(data_dir: Path, port: int) -> Iterator[httpx.Client]:
    env = {**os.environ, "ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(data_dir), "ANGELI_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "services.cli", "run"], cwd=ROOT, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if client.get("/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"angeli run did not start: {process.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def first_administrator(data_dir: Path) -> None:
    """What an operator does once after installing: `angeli admin create` (there is no open admin)."""
    env = {**os.environ, "ANGELI_MODE": "embedded", "ANGELI_DATA_DIR": str(data_dir),
           "ANGELI_ADMIN_PASSWORD": ADMIN["password"]}
    created = subprocess.run(
        [sys.executable, "-m", "services.cli", "admin", "create", "--email", ADMIN["email"],
         "--password-env", "ANGELI_ADMIN_PASSWORD"], cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert created.returncode == 0, created.stderr


def sign_in(client: httpx.Client) -> None:
    session = client.post("/auth/sign-in", json=ADMIN)
    assert session.status_code == 200, session.text
    client.headers["Authorization"] = f"Bearer {session.json()['token']}"


def roster_total(client: httpx.Client, expected: int) -> int:
    deadline = time.monotonic() + 10
    total = -1
    while time.monotonic() < deadline:
        total = client.get("/stats/roster").json()["total"]
        if total == expected:
            break
        time.sleep(0.1)
    return int(total)


@pytest.mark.slow
def test_run_starts_empty_serves_the_slice_and_keeps_data_across_a_restart(tmp_path: Path) -> None:
    data_dir, port = tmp_path / "var", free_port()
    first_administrator(data_dir)
    with running_product(data_dir, port) as client:
        health = client.get("/health").json()
        assert health["status"] == "up"
        assert client.get("/docs").status_code == 200
        assert client.post("/volunteers", json=GIULIA).status_code == 401  # nobody gets in without signing in
        sign_in(client)
        created = client.post("/volunteers", json=GIULIA)
        assert created.status_code == 201
        assert roster_total(client, 1) == 1
    assert any(data_dir.glob("*.db")), "embedded stores live as SQLite files under the data folder"
    with running_product(data_dir, port) as client:
        sign_in(client)
        assert client.get(f"/volunteers/{created.json()['id']}").status_code == 200
        assert roster_total(client, 1) == 1
