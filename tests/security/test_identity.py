"""Accounts, passwords, sessions, API keys and sign-in limits, on the identity store itself."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from services.identity.application import Identity
from services.identity.domain import Actor, LastAdministrator, Role, TooManyAttempts, Unauthenticated, WeakPassword
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from tests.security.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, GIULIA


def raw_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("identity.db*"))


def test_passwords_are_stored_as_argon2id_hashes_only(identity: Identity, admin: Actor, tmp_path: Path) -> None:
    row = identity.store.one("SELECT password_hash FROM accounts WHERE email = ?", (ADMIN_EMAIL,))
    assert row is not None and row["password_hash"].startswith("$argon2id$")
    assert ADMIN_PASSWORD.encode() not in raw_bytes(tmp_path)


def test_the_default_hasher_is_argon2id_with_strong_parameters() -> None:
    hasher = PasswordHasher()
    assert hasher.memory_cost >= 64 * 1024 and hasher.time_cost >= 2
    assert hasher.hash("x" * 12).startswith("$argon2id$")


def test_a_session_token_is_stored_only_as_its_sha256(identity: Identity, admin: Actor, tmp_path: Path) -> None:
    session = identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "10.0.0.1")
    assert identity.session_actor(session.token) is not None
    stored = raw_bytes(tmp_path)
    assert session.token.encode() not in stored
    assert hashlib.sha256(session.token.encode()).hexdigest().encode() in stored


def test_a_token_replayed_after_sign_out_is_refused(identity: Identity, admin: Actor) -> None:
    session = identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "10.0.0.1")
    identity.sign_out(session.token)
    assert identity.session_actor(session.token) is None


def test_a_session_expires_after_twelve_hours(identity: Identity, admin: Actor, clock: FixedClock) -> None:
    session = identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "10.0.0.1")
    clock.advance(timedelta(hours=11, minutes=59))
    assert identity.session_actor(session.token) is not None
    clock.advance(timedelta(minutes=1))
    assert identity.session_actor(session.token) is None


def test_sign_in_is_case_insensitive_on_the_email(identity: Identity, admin: Actor) -> None:
    assert identity.sign_in(ADMIN_EMAIL.upper(), ADMIN_PASSWORD, "10.0.0.1").account.email == ADMIN_EMAIL


def test_five_failures_lock_the_account_for_that_address_for_fifteen_minutes(
    identity: Identity, admin: Actor, clock: FixedClock,
) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            identity.sign_in(ADMIN_EMAIL, "wrong-password-guess", "203.0.113.9")
        clock.advance(timedelta(seconds=10))
    with pytest.raises(TooManyAttempts) as locked:
        identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "203.0.113.9")  # even the right password
    assert locked.value.headers["Retry-After"] == str(15 * 60 - 50)
    office = identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "10.0.0.1")  # the office is not locked out
    assert office.account.email == ADMIN_EMAIL
    clock.advance(timedelta(minutes=15))
    assert identity.sign_in(ADMIN_EMAIL, ADMIN_PASSWORD, "203.0.113.9").account.email == ADMIN_EMAIL


def test_an_unknown_email_fails_like_a_wrong_password(identity: Identity, admin: Actor) -> None:
    with pytest.raises(Unauthenticated) as unknown:
        identity.sign_in("nobody@angeli.example", "whatever-it-is", "10.0.0.1")
    with pytest.raises(Unauthenticated) as wrong:
        identity.sign_in(ADMIN_EMAIL, "whatever-it-is", "10.0.0.1")
    assert unknown.value.message == wrong.value.message


def test_a_short_password_is_refused(identity: Identity, admin: Actor) -> None:
    with pytest.raises(WeakPassword, match="at least 12 characters, got 8"):
        identity.create_account("giulia@angeli.example", "natale26", Role.VIEWER, admin)
    assert len(identity.accounts()) == 1


def test_a_volunteer_account_names_its_volunteer(identity: Identity, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="volunteer_id"):
        identity.create_account("giulia@angeli.example", "una-password-lunga", Role.VOLUNTEER, admin)
    account = identity.create_account("giulia@angeli.example", "una-password-lunga", Role.VOLUNTEER, admin, GIULIA)
    actor = identity.session_actor(identity.sign_in("giulia@angeli.example", "una-password-lunga", "1.2.3.4").token)
    assert account.volunteer_id == GIULIA and actor is not None and actor.volunteer_id == GIULIA


def test_an_unknown_role_is_refused(identity: Identity, admin: Actor) -> None:
    with pytest.raises(InvalidInput, match="role must be one of"):
        identity.create_account("giulia@angeli.example", "una-password-lunga", "boss", admin)
    with pytest.raises(InvalidInput, match="role must be one of"):
        identity.create_account("giulia@angeli.example", "una-password-lunga", Role.PUBLIC, admin)


def test_disabling_an_account_ends_its_sessions(identity: Identity, admin: Actor) -> None:
    account = identity.create_account("marco@angeli.example", "una-password-lunga", Role.AUDITOR, admin)
    session = identity.sign_in("marco@angeli.example", "una-password-lunga", "10.0.0.1")
    identity.disable(account.account_id, admin)
    assert identity.session_actor(session.token) is None
    with pytest.raises(Unauthenticated):
        identity.sign_in("marco@angeli.example", "una-password-lunga", "10.0.0.1")


def test_a_role_change_applies_to_open_sessions(identity: Identity, admin: Actor) -> None:
    account = identity.create_account("marco@angeli.example", "una-password-lunga", Role.VIEWER, admin)
    token = identity.sign_in("marco@angeli.example", "una-password-lunga", "10.0.0.1").token
    identity.change_role(account.account_id, Role.AUDITOR, admin)
    actor = identity.session_actor(token)
    assert actor is not None and actor.role == "auditor"


def test_the_last_administrator_cannot_be_demoted_or_disabled(identity: Identity, admin: Actor) -> None:
    only = identity.accounts()[0]
    with pytest.raises(LastAdministrator):
        identity.change_role(only.account_id, Role.VIEWER, admin)
    with pytest.raises(LastAdministrator):
        identity.disable(only.account_id, admin)
    assert identity.has_administrator()


def test_an_api_key_is_stored_hashed_and_stops_working_when_revoked(
    identity: Identity, admin: Actor, tmp_path: Path,
) -> None:
    key, secret = identity.create_key("bank reconciliation", Role.AUDITOR, admin)
    found = identity.key_actor(secret)
    assert found is not None and found.role == "auditor" and found.name == "bank reconciliation"
    assert secret.split("_", 2)[2].encode() not in raw_bytes(tmp_path)
    assert identity.key_actor(secret[:-1] + ("A" if secret[-1] != "A" else "B")) is None
    identity.revoke_key(key.key_id, admin)
    assert identity.key_actor(secret) is None and identity.key(key.key_id).revoked


def test_every_account_change_is_in_the_trail_with_who_made_it(identity: Identity, admin: Actor) -> None:
    account = identity.create_account("marco@angeli.example", "una-password-lunga", Role.VIEWER, admin)
    identity.change_role(account.account_id, Role.AUDITOR, admin)
    identity.disable(account.account_id, admin)
    changes = [(c["change"], c["actor"]) for c in identity.changes() if c["subject"] == f"account:{account.account_id}"]
    assert sorted(changes) == sorted([("created", admin.label), ("role_changed", admin.label),
                                      ("disabled", admin.label)])


def test_the_trail_never_holds_a_password(identity: Identity, admin: Actor) -> None:
    account = identity.create_account("marco@angeli.example", "una-password-lunga", Role.VIEWER, admin)
    trail = repr(identity.changes())
    assert "una-password-lunga" not in trail
    assert f"account:{account.account_id}" in trail  # the creation is there, without its password
