"""Shared fixtures: fixed clock, in-memory and SQLite stores, and fresh databases on the real PostgreSQL."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import psycopg
import pytest
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.readmodel import SqliteStore
from services.kernel.settings import PostgresSettings, Settings
from services.kernel.vault import PrivacyVault

if TYPE_CHECKING:  # the product is imported lazily so kernel tests stand alone
    from services.main import Product

# The in-memory event store: the best fake, no mocks needed.
MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def clock() -> FixedClock:
    """Monday 23 November 2026, 10:00 in Rome (09:00 UTC)."""
    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture
def vault(tmp_path: Path) -> PrivacyVault:
    return PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), os.urandom(32))


@pytest.fixture
def embedded_settings(tmp_path: Path) -> Settings:
    return Settings(mode="embedded", data_dir=tmp_path / "var")


@pytest.fixture
def product(embedded_settings: Settings, clock: FixedClock) -> Iterator[Product]:
    """The whole embedded product, not started: tests call `product.catch_up()` to run the feeds."""
    from services.main import build

    built = build(embedded_settings, clock)
    yield built
    built.stop()


@pytest.fixture
def client(product: Product) -> TestClient:
    from services.main import create_api_for

    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(product, "administrator")  # every route is open to administrators
    return client


def api_key(product: Product, role: str) -> str:
    """A fresh API key of `role` on the product (cheap: keys are sha256, not argon2)."""
    from services.kernel.actor import SYSTEM

    return product.identity.create_key(f"tests as {role}", role, SYSTEM)[1]  # type: ignore[union-attr]


RoleClient = Callable[..., TestClient]


@pytest.fixture
def client_as(product: Product) -> RoleClient:
    """`client_as("auditor")`: a client with that role; `client_as("volunteer", volunteer_id)` signs in an
    account linked to that volunteer; `client_as("public")` sends no credentials."""
    from services.kernel.actor import SYSTEM
    from services.main import create_api_for

    app = create_api_for(product)

    def make(role: str, volunteer_id: uuid.UUID | None = None) -> TestClient:
        client = TestClient(app, raise_server_exceptions=False)
        if role == "volunteer":
            email = f"volunteer-{uuid.uuid4().hex[:8]}@angeli.example"
            product.identity.create_account(email, "una-password-lunga", role, SYSTEM,  # type: ignore[union-attr]
                                            volunteer_id or uuid.uuid4())
            token = client.post("/auth/sign-in", json={"email": email, "password": "una-password-lunga"})
            client.cookies.clear()
            client.headers["Authorization"] = f"Bearer {token.json()['token']}"
        elif role != "public":
            client.headers["X-API-Key"] = api_key(product, role)
        return client

    return make


def postgres_admin() -> PostgresSettings:
    return Settings.from_env().postgres


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """Distributed settings on a fresh database of the real PostgreSQL server, dropped afterwards."""
    admin = postgres_admin()
    name = f"angeli_t_{uuid.uuid4().hex[:12]}"
    settings = Settings(
        mode="distributed", data_dir=tmp_path / "var", postgres=create_database(admin, name),
        topic_prefix=f"t{uuid.uuid4().hex[:10]}", kafka_partitions=3,
        kafka_bootstrap=os.environ.get("ANGELI_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
    )
    yield settings
    drop_database(admin, name)


def create_database(admin: PostgresSettings, name: str) -> PostgresSettings:
    """A new empty database on the server `admin` reaches; the settings that reach it."""
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return replace(admin, dbname=name)


def drop_database(admin: PostgresSettings, name: str) -> None:
    """Drop a test database; an autovacuum worker (a superuser process) may briefly hold it, so retry."""
    for attempt in range(20):
        try:
            with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            return
        except psycopg.errors.InsufficientPrivilege:
            if attempt == 19:
                raise
            time.sleep(0.5)
