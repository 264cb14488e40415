"""A tiny app with the real authentication, privacy routes and HTTP edge, over SQLite stores in tmp_path."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated
from uuid import UUID

import pytest
from argon2 import PasswordHasher
from fastapi import APIRouter, Depends, FastAPI
from fastapi.testclient import TestClient
from pydantic import BaseModel, ConfigDict

from services.identity import api as auth_api
from services.identity.application import Identity
from services.identity.auth import CurrentUser, require
from services.identity.domain import SYSTEM_ACCESS, Actor, Role
from services.kernel.clock import FixedClock
from services.kernel.http import create_api
from services.kernel.readmodel import SqliteStore
from services.privacy import api as privacy_api
from services.privacy.application import PrivacyVault

ADMIN_EMAIL, ADMIN_PASSWORD = "anna@angeli.example", "sette-angeli-milano"
GIULIA = UUID("6a0f5d2e-1111-4c2b-9b55-000000000001")
MARCO = UUID("6a0f5d2e-2222-4c2b-9b55-000000000002")
FAST_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)  # argon2id, cheap for tests


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str


sample = APIRouter(prefix="/sample")


@sample.get("/public", dependencies=[Depends(require(Role.PUBLIC))])
def public_page() -> dict[str, str]:
    """Open to everyone."""
    return {"page": "transparency"}


@sample.get("/dashboard", dependencies=[Depends(require(Role.VIEWER, Role.CAMPAIGN_MANAGER))])
def dashboard() -> dict[str, str]:
    """Viewers and campaign managers."""
    return {"page": "dashboard"}


@sample.get("/donors/{person_id}")
def read_donor(person_id: UUID, user: Annotated[Actor, Depends(require(Role.COORDINATOR))],
               vault: privacy_api.Vault) -> dict[str, str]:
    """Coordinators read a donor's details from the vault (the read is audited)."""
    return vault.get(person_id, SYSTEM_ACCESS)


@sample.post("/notes")
def add_note(note: Note, _user: CurrentUser) -> dict[str, str]:
    """Anyone signed in."""
    return {"text": note.text}


@sample.post("/upload")
def upload(_user: CurrentUser) -> dict[str, str]:
    """Anyone signed in (the body is not read)."""
    return {"ok": "yes"}


@sample.get("/boom")
def boom() -> None:
    """An unexpected failure."""
    raise RuntimeError("secret stack detail /etc/angeli")


@pytest.fixture
def identity(tmp_path: Path, clock: FixedClock) -> Iterator[Identity]:
    store = SqliteStore(str(tmp_path / "identity.db"))
    yield Identity(store, clock, hasher=FAST_HASHER)
    store.close()


@pytest.fixture
def privacy_vault(tmp_path: Path, clock: FixedClock) -> PrivacyVault:
    return PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32), clock)


@pytest.fixture
def admin(identity: Identity) -> Actor:
    from services.identity.cli import CLI

    identity.create_account(ADMIN_EMAIL, ADMIN_PASSWORD, Role.ADMINISTRATOR, CLI)
    return CLI


@pytest.fixture
def app(identity: Identity, privacy_vault: PrivacyVault, admin: Actor) -> FastAPI:
    api = create_api("test", [auth_api.router, privacy_api.router, sample], {}, lambda: [])
    api.state.identity = identity
    api.state.vault = privacy_vault
    return api


@pytest.fixture
def anonymous(app: FastAPI) -> TestClient:
    return TestClient(app, raise_server_exceptions=False)


def signed_in(app: FastAPI, email: str, password: str) -> TestClient:
    client = TestClient(app, raise_server_exceptions=False)
    response = client.post("/auth/sign-in", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    client.cookies.clear()  # these clients prove the header; cookie sign-in has its own test
    client.headers["Authorization"] = f"Bearer {response.json()['token']}"
    return client


@pytest.fixture
def admin_client(app: FastAPI) -> TestClient:
    return signed_in(app, ADMIN_EMAIL, ADMIN_PASSWORD)


def client_as(app: FastAPI, identity: Identity, role: str, email: str, volunteer_id: UUID | None = None) -> TestClient:
    """A client signed in with a new account of `role`."""
    from services.identity.cli import CLI

    identity.create_account(email, "una-password-lunga", role, CLI, volunteer_id)
    return signed_in(app, email, "una-password-lunga")
