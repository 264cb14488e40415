"""Secrets never reach a running server's output: `angeli run` (embedded) and `angeli api` (distributed, on
the real PostgreSQL) as processes, with logging at DEBUG, uvicorn's access log, and a failing database."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest

from services.kernel.settings import Settings
from tests.conftest import free_port
from tests.security.secret_values import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LEDGER_SIGNING_KEY,
    PERSON_KEY,
    PG_PASSWORD,
    VAULT_KEY,
    WRONG_PASSWORD,
    key_environment,
    leaks,
)
from tests.test_run_embedded import ROOT

# The product's own start-up, with every logger at DEBUG (create_app's INFO configuration then changes nothing).
DEBUG_LAUNCH = ("import logging, sys; logging.basicConfig(level=logging.DEBUG, "
                "format='%(levelname)s %(name)s: %(message)s'); "
                "from services.cli import main; sys.exit(main(sys.argv[1:]))")
KEYS: dict[str, str | bytes] = {"vault key": VAULT_KEY, "ledger signing key": LEDGER_SIGNING_KEY,
                                "person key": PERSON_KEY, "password": ADMIN_PASSWORD,
                                "wrong password": WRONG_PASSWORD}


def angeli(args: list[str], env: dict[str, str], output: Path) -> subprocess.Popen[bytes]:
    with output.open("ab") as sink:
        return subprocess.Popen([sys.executable, "-c", DEBUG_LAUNCH, *args], cwd=ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT)


def environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {**os.environ, **key_environment(tmp_path), "ANGELI_DATA_DIR": str(tmp_path / "var"), **extra}


def create_administrator(env: dict[str, str], tmp_path: Path, output: Path) -> None:
    password_file = tmp_path / "admin_password"
    password_file.write_text(ADMIN_PASSWORD + "\n")
    created = angeli(["admin", "create", "--email", ADMIN_EMAIL, "--password-file", str(password_file)], env, output)
    assert created.wait(timeout=120) == 0, output.read_text()[-3000:]


@contextmanager
def serving(args: list[str], env: dict[str, str], output: Path) -> Iterator[httpx.Client]:
    port = free_port()
    process = angeli([*args, "--port", str(port)], env, output)
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if client.get("/health").status_code in (200, 503):
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, output.read_text()[-3000:]
            time.sleep(0.2)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=30)


def use_credentials(client: httpx.Client) -> dict[str, str]:
    """Sign in (after a mistake), use the session and a new API key, also as misplaced query parameters."""
    assert client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": WRONG_PASSWORD}).status_code == 401
    signed = client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    assert signed.status_code == 200, signed.text
    token = signed.json()["token"]
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    api_key = client.post("/auth/api-keys", json={"name": "CRM", "role": "viewer"}, headers=bearer).json()["secret"]
    assert client.get("/auth/me", params={"token": token}, headers=bearer).status_code == 200
    assert client.get("/auth/me", params={"api_key": api_key}, headers={"X-API-Key": api_key}).status_code == 200
    for path in ("/health", "/metrics", "/ledger/head"):
        client.get(path, headers={"X-API-Key": api_key})
    return {"session token": token, "API key": api_key}


def test_angeli_run_at_debug_logs_no_secret_and_masks_credentials_in_access_log_urls(tmp_path: Path) -> None:
    # Given the embedded product with known keys, a known (unused) database password and an administrator
    output = tmp_path / "output.log"
    (tmp_path / "pg_password").write_text(PG_PASSWORD)
    env = environment(tmp_path, ANGELI_MODE="embedded", ANGELI_PG_PASSWORD_FILE=str(tmp_path / "pg_password"))
    create_administrator(env, tmp_path, output)
    # When it serves sign-ins, sessions and API keys, some of them carelessly put in URLs
    with serving(["run"], env, output) as client:
        used = use_credentials(client)
        answers = [client.get("/health").text, client.get("/metrics").text]
    # Then neither its output (DEBUG logs, access log) nor its answers hold any secret
    logged = output.read_text()
    assert "DEBUG" in logged and '"GET /auth/me?token=[redacted] HTTP/1.1" 200' in logged
    assert leaks(logged, {**KEYS, "PostgreSQL password": PG_PASSWORD, **used}) == []
    assert leaks("\n".join(answers), {**KEYS, **used}) == []


def distributed(pg_settings: Settings, tmp_path: Path, password_file: Path) -> dict[str, str]:
    return environment(tmp_path, ANGELI_MODE="distributed", ANGELI_PG_DB=pg_settings.postgres.dbname,
                       ANGELI_PG_PASSWORD_FILE=str(password_file), ANGELI_TOPIC_PREFIX=pg_settings.topic_prefix,
                       ANGELI_KAFKA_BOOTSTRAP=pg_settings.kafka_bootstrap, ANGELI_KAFKA_PARTITIONS="3")


@pytest.mark.postgres
@pytest.mark.kafka
def test_angeli_api_on_postgres_logs_no_secret_even_when_its_connections_are_killed(
        pg_settings: Settings, tmp_path: Path) -> None:
    # Given an API replica whose database password comes from a file, at DEBUG
    output = tmp_path / "output.log"
    (tmp_path / "pg_password").write_text(pg_settings.postgres.password + "\n")
    env = distributed(pg_settings, tmp_path, tmp_path / "pg_password")
    create_administrator(env, tmp_path, output)
    with serving(["api"], env, output) as client:
        used = use_credentials(client)
        # When the database ends every connection of the replica under a request
        with psycopg.connect(pg_settings.postgres.conninfo(), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", (pg_settings.postgres.dbname,))
        failed = client.get("/auth/me", headers={"X-API-Key": used["API key"]})
        # (Starlette re-raises after the 500 answer, so uvicorn closes that connection: ask on a new one)
        answers = [failed.text, httpx.get(str(client.base_url.join("/health")), timeout=30).text]
    # Then the request failed with a reference, and no secret nor connection string is in output or answers
    logged = output.read_text()
    assert failed.status_code == 500 and "quote reference" in failed.text
    assert "terminating connection" in logged
    assert leaks(logged, {**KEYS, **used}) == [] and "password=" not in logged
    assert leaks("\n".join(answers), {**KEYS, **used}) == [] and "password=" not in "\n".join(answers)


@pytest.mark.postgres
def test_a_wrong_database_password_stops_the_start_without_showing_it(pg_settings: Settings, tmp_path: Path) -> None:
    output = tmp_path / "output.log"
    (tmp_path / "pg_password").write_text(PG_PASSWORD + "\n")
    env = distributed(pg_settings, tmp_path, tmp_path / "pg_password")
    process = angeli(["api", "--port", str(free_port())], env, output)
    assert process.wait(timeout=120) != 0
    logged = output.read_text()
    assert "password authentication failed" in logged
    assert leaks(logged, {**KEYS, "PostgreSQL password": PG_PASSWORD}) == [] and "password=" not in logged
