"""Secrets never reach logs, output, health, metrics or error answers: the embedded product, in process,
with logging at DEBUG and known keys, passwords, session tokens and API keys."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.identity.domain import SYSTEM
from services.kernel.log_redaction import redact
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from tests.security.secret_values import (
    ADMIN_EMAIL,
    ADMIN_PASSWORD,
    LEDGER_SIGNING_KEY,
    PERSON_KEY,
    PG_PASSWORD,
    TOO_LONG_PASSWORD,
    VAULT_KEY,
    WRONG_PASSWORD,
    key_environment,
    leaks,
)

KEYS: dict[str, str | bytes] = {"vault key": VAULT_KEY, "ledger signing key": LEDGER_SIGNING_KEY,
                                "person key": PERSON_KEY, "PostgreSQL password": PG_PASSWORD}
PASSWORDS: dict[str, str | bytes] = {"password": ADMIN_PASSWORD, "wrong password": WRONG_PASSWORD,
                                     "too long password": TOO_LONG_PASSWORD[:40]}


@pytest.fixture
def product(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Product]:
    """The embedded product with known keys (from variables and files) and a known PostgreSQL password."""
    pg_password = tmp_path / "pg_password"
    pg_password.write_text(PG_PASSWORD + "\n")
    environment = {**key_environment(tmp_path), "ANGELI_DATA_DIR": str(tmp_path / "var"),
                   "ANGELI_PG_PASSWORD_FILE": str(pg_password)}
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    built = build(Settings.from_env())
    assert built.settings.postgres.password == PG_PASSWORD
    built.identity.create_account(ADMIN_EMAIL, ADMIN_PASSWORD, "administrator", SYSTEM)  # type: ignore[union-attr]
    yield built
    built.stop()


def test_settings_print_without_the_database_password(product: Product) -> None:
    assert leaks(repr(product.settings) + str(product.settings) + f"{product.settings.postgres}", KEYS) == []


def test_signing_in_using_keys_failing_and_crashing_leave_no_secret_anywhere(
        product: Product, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    answers: list[str] = []
    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    # Given an administrator who mistypes, then sends a password too long to be one, then signs in
    for password in (WRONG_PASSWORD, TOO_LONG_PASSWORD):
        refused = client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": password})
        assert refused.status_code in (401, 422)
        answers.append(refused.text)
    signed = client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    token = signed.json()["token"]  # this answer hands the token to its owner: it is not searched
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    # When they create and use an API key, sign out, and a replayed token and a forged key come back
    created = client.post("/auth/api-keys", json={"name": "CRM", "role": "viewer"}, headers=bearer)
    api_key = created.json()["secret"]
    for headers in (bearer, {"X-API-Key": api_key}, {"X-API-Key": api_key[:-4] + "AAAA"}):
        answers.append(client.get("/auth/me", headers=headers).text)
    answers.append(client.post("/auth/sign-out", headers=bearer).text)
    answers.append(client.get("/auth/me", headers=bearer).text)
    answers += [client.get(path, headers={"X-API-Key": api_key}).text
                for path in ("/ledger/head", "/ledger/public-key", "/ledger/verify")]  # the signing key at work
    answers += [client.get("/health").text, client.get("/metrics").text]
    product.catch_up()
    # And the identity store fails under a request (an error 500)
    with product.identity.store.transaction() as tx:  # type: ignore[union-attr]
        tx.execute("DROP TABLE api_keys")
    crashed = client.get("/auth/me", headers={"X-API-Key": api_key})
    assert crashed.status_code == 500
    answers.append(crashed.text)
    # Then no secret is in any answer, log record (tracebacks included) or output
    everything = {**KEYS, **PASSWORDS, "session token": token, "API key": api_key}
    output = capfd.readouterr()
    assert "internal error" in crashed.text and any(r.exc_info for r in caplog.records)
    assert leaks("\n".join(answers), everything) == []
    assert leaks(caplog.text + "\n".join(r.getMessage() for r in caplog.records), everything) == []
    assert leaks(output.out + output.err, everything) == []


def test_a_too_long_password_is_refused_without_echoing_it(product: Product) -> None:
    client = TestClient(create_api_for(product), raise_server_exceptions=False)
    refused = client.post("/auth/sign-in", json={"email": ADMIN_EMAIL, "password": TOO_LONG_PASSWORD})
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"password must have 1 to 1024 characters, got {len(TOO_LONG_PASSWORD)}"
    created = client.post("/auth/accounts", headers={"X-API-Key": _admin_key(product)}, json={
        "email": "giulia@angeli.example", "password": TOO_LONG_PASSWORD, "role": "viewer"})
    assert created.status_code == 422 and "Troppo" not in created.text
    assert [a.email for a in product.identity.accounts()] == [ADMIN_EMAIL]  # type: ignore[union-attr]


def _admin_key(product: Product) -> str:
    return product.identity.create_key("tests", "administrator", SYSTEM)[1]  # type: ignore[union-attr]


@pytest.mark.parametrize(("line", "logged"), [
    ("GET /auth/me?token=abc.def&limit=5 HTTP/1.1", "GET /auth/me?token=[redacted]&limit=5 HTTP/1.1"),
    ("/ledger?X-API-Key=angeli_1f_zz&page=2", "/ledger?X-API-Key=[redacted]&page=2"),
    ("/x?access_token=a&password=b&client_secret=c", "/x?access_token=[redacted]&password=[redacted]"
                                                      "&client_secret=[redacted]"),
    ("/donations/pledges?campaign=natale-2026&limit=10", "/donations/pledges?campaign=natale-2026&limit=10"),
])
def test_credential_like_query_parameters_are_masked_in_log_lines(line: str, logged: str) -> None:
    assert redact(line) == logged
