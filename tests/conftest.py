"""Shared fixtures: fixed clock, in-memory and SQLite stores, and fresh databases on the real PostgreSQL."""

from __future__ import annotations

import os
import re
import socket
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import psycopg
import pytest
from confluent_kafka import KafkaException
from fastapi.testclient import TestClient

from services.kernel.clock import FixedClock
from services.kernel.readmodel import SqliteStore
from services.kernel.settings import PostgresSettings, Settings
from services.privacy.application import PrivacyVault

if TYPE_CHECKING:  # the product is imported lazily so kernel tests stand alone
    from services.main import Product

# The in-memory event store: the best fake, no mocks needed.
MEMORY = {"PERSISTENCE_MODULE": "eventsourcing.popo"}


@pytest.fixture
def clock() -> FixedClock:
    """Monday 23 November 2026, 10:00 in Rome (09:00 UTC): a frozen calendar for the product's own logic only.
    Where a real client judges the product's instants by its wall clock (a browser, a cookie jar, Kafka,
    PostgreSQL), the product starts at `calling_morning()` instead."""
    return FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))


@pytest.fixture(scope="module")
def page_reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An administrator's client of one embedded product for the tests of a module that only read (pages, or
    queries it refuses): a product of their own cost each of them a second or more of set-up. On the same frozen
    calendar as `clock`."""
    from services.main import build, create_api_for

    built = build(Settings(mode="embedded", data_dir=tmp_path_factory.mktemp("pages") / "var"),
                  FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC)))
    client = TestClient(create_api_for(built), raise_server_exceptions=False)
    client.headers["X-API-Key"] = api_key(built, "administrator")
    yield client
    built.stop()


ROME = ZoneInfo("Europe/Rome")


def calling_morning(after: date | None = None) -> datetime:
    """10:00 in Rome (as UTC) on the first day after `after` (by default the real today in Rome) on which the
    Italian calling policy allows calls all day everywhere it names: a weekday that is no holiday, patron
    saint's day or eve of one. A product served to real clients starts there, whatever the real date is."""
    from services.campaigns.calendar import ITALY_2024, policy_day

    day = (after or datetime.now(ROME).date()) + timedelta(days=1)
    places = ["", *(town for town, _month, _day in ITALY_2024.patron_days)]
    while any(policy_day(ITALY_2024, day, place) != (ITALY_2024.hours, "") for place in places):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, tzinfo=ROME).astimezone(UTC)


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
    from services.identity.domain import SYSTEM

    return product.identity.create_key(f"tests as {role}", role, SYSTEM)[1]  # type: ignore[union-attr]


RoleClient = Callable[..., TestClient]


@pytest.fixture
def client_as(product: Product) -> RoleClient:
    """`client_as("auditor")`: a client with that role; `client_as("volunteer", volunteer_id)` signs in an
    account linked to that volunteer; `client_as("public")` sends no credentials."""
    from services.identity.domain import SYSTEM
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


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def postgres_admin() -> PostgresSettings:
    return Settings.from_env().postgres


def kafka_bootstrap() -> str:
    return Settings.from_env().kafka_bootstrap


@pytest.fixture(scope="session")
def stale_scratch_swept() -> None:
    """Once per run: drop the databases, topics and groups killed runs of the suite or the benchmarks left."""
    sweep_scratch_databases(postgres_admin())
    try:
        sweep_scratch(kafka_bootstrap())
    except KafkaException as error:  # the leftovers wait for the next run; the tests themselves may still pass
        warnings.warn(f"the sweep of earlier runs' topics stopped: {error}", stacklevel=1)


@pytest.fixture
def pg_settings(tmp_path: Path, stale_scratch_swept: None) -> Iterator[Settings]:
    """Distributed settings on a fresh database of the real PostgreSQL server and topics of their own on the
    real Kafka broker, both dropped afterwards."""
    admin = postgres_admin()
    name = scratch_database_name("angeli_t")
    settings = Settings(
        mode="distributed", data_dir=tmp_path / "var", postgres=create_database(admin, name),
        topic_prefix=scratch_prefix("t"), kafka_partitions=3, kafka_bootstrap=kafka_bootstrap(),
    )
    yield settings
    drop_database(admin, name)
    try:
        delete_scratch(settings.kafka_bootstrap, scratch_names(settings.topic_prefix))
    except KafkaException as error:  # e.g. a broker a fault test just restarted; not the test's own failure
        warnings.warn(f"the test's topics stay until a later run's sweep: {error}", stacklevel=1)


def create_database(admin: PostgresSettings, name: str) -> PostgresSettings:
    """A new empty database on the server `admin` reaches; the settings that reach it."""
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return replace(admin, dbname=name)


# Scratch databases are named `<kind>_<unix seconds>_<random>`, for the same sweep as the scratch topics below.
SCRATCH_DATABASE = re.compile(r"^angeli_[a-z_]+?_(?P<created>\d{10})_[0-9a-f]{6}$")
UNTIMED_SCRATCH_DATABASE = re.compile(r"^angeli_(?:t_[0-9a-f]{12}|(?:bench|bench_vault|lag)_[0-9a-f]{8})$")


def scratch_database_name(kind: str) -> str:
    return _timed(kind, "_")


def stale_scratch_database(name: str, now: float) -> bool:
    return _stale(name, now, SCRATCH_DATABASE, UNTIMED_SCRATCH_DATABASE)


def sweep_scratch_databases(admin: PostgresSettings) -> list[str]:
    """Drop the scratch databases older than a run lasts; the names dropped."""
    now = time.time()
    with psycopg.connect(admin.conninfo(), autocommit=True) as conn:
        names = [row[0] for row in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'angeli\\_%'")]
    stale = [name for name in names if stale_scratch_database(name, now)]
    for name in stale:
        drop_database(admin, name)
    return stale


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


# Scratch topics are named `<kind>-<unix seconds>-<random>.<source>` (a benchmark may add `-<run>` before the
# dot), and so are the consumer groups reading them. The time tells a later run which leftovers are old
# enough to be nobody's: no run lasts this long.
SCRATCH_NAME = re.compile(r"^[a-z]+-(?P<created>\d{10})-[0-9a-f]{6}(?:-\d+)?\.")
SCRATCH_LIFETIME = 6 * 3600
# The names runs gave their topics before they carried the time; nothing makes them any more.
UNTIMED_SCRATCH_NAME = re.compile(r"^(?:t[0-9a-f]{10}|bench[0-9a-f]{6}(?:-\d+)?|lag[0-9a-f]{6})[.-]")


def scratch_prefix(kind: str) -> str:
    """A topic prefix for one test or benchmark run; its topics and groups go afterwards (`delete_scratch`),
    or with the sweep of a later run if this one is killed first."""
    return _timed(kind, "-")


def scratch_names(prefix: str) -> Callable[[str], bool]:
    """Whether a topic or group name is one of those made under `prefix` (or a benchmark's `prefix-<run>`)."""
    pattern = re.compile(rf"^{re.escape(prefix)}(?:-\d+)?\.")
    return lambda name: pattern.match(name) is not None


def stale_scratch_name(name: str, now: float) -> bool:
    return _stale(name, now, SCRATCH_NAME, UNTIMED_SCRATCH_NAME)


def _timed(kind: str, separator: str) -> str:
    """`kind`, the unix time and a random part: a scratch name a later run's sweep can date."""
    return separator.join((kind, str(int(time.time())), uuid.uuid4().hex[:6]))


def _stale(name: str, now: float, timed: re.Pattern[str], untimed: re.Pattern[str]) -> bool:
    """An untimed scratch name (made before names carried the time), or a timed one older than a run lasts."""
    if untimed.match(name):
        return True
    created = timed.match(name)
    return created is not None and now - int(created["created"]) > SCRATCH_LIFETIME


def sweep_scratch(bootstrap: str) -> int:
    now = time.time()
    return delete_scratch(bootstrap, lambda name: stale_scratch_name(name, now))


def delete_scratch(bootstrap: str, chosen: Callable[[str], bool]) -> int:
    """Delete the broker's topics and consumer groups whose names `chosen` picks; how many. Nothing to do when
    no broker listens: a run without Kafka made none."""
    from confluent_kafka import KafkaError
    from confluent_kafka.admin import AdminClient  # type: ignore[attr-defined]

    host, _, port = bootstrap.rpartition(":")
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return 0
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = sorted(topic for topic in admin.list_topics(timeout=30).topics if chosen(topic))
    groups = sorted(group.group_id for group in admin.list_consumer_groups(request_timeout=30).result().valid
                    if chosen(group.group_id))
    for start in range(0, len(topics), 200):  # the controller handles a few hundred deletions per request well
        _settle(admin.delete_topics(topics[start:start + 200], operation_timeout=120),
                KafkaError.UNKNOWN_TOPIC_OR_PART)
    for start in range(0, len(groups), 200):
        # A group still has a member while a killed consumer's session lasts (45 s): it stays, and goes with the
        # sweep of a later run.
        _settle(admin.delete_consumer_groups(groups[start:start + 200], request_timeout=60),
                KafkaError.GROUP_ID_NOT_FOUND, KafkaError.NON_EMPTY_GROUP)
    return len(topics) + len(groups)


def _settle(futures: dict[str, Any], *harmless: int) -> None:
    """Wait for each deletion; an error with one of the `harmless` codes (a name another run deleted meanwhile,
    a group still in use) is not a failure."""
    for future in futures.values():
        try:
            future.result()
        except KafkaException as error:
            if error.args[0].code() not in harmless:
                raise
