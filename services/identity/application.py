"""Identity's use cases: accounts, password sign-in, sessions and API keys, in their own store ("identity").

Secrets are never stored: passwords as argon2 hashes, session tokens and API-key secrets as sha256.
Every change to an account or key is appended to `account_changes`, the trail of who changed what.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from services.identity.domain import (
    INVITATION_LIFETIME,
    KEY_PREFIX,
    MAX_PASSWORD,
    SESSION_LIFETIME,
    Account,
    AccountDisabled,
    AccountInvitation,
    Actor,
    ApiKey,
    Invitation,
    InvitationState,
    LastAdministrator,
    Role,
    Session,
    Unauthenticated,
    check_account_status,
    check_invitation,
    check_key_role,
    check_password,
    check_role,
    check_role_filter,
    refuse_after,
)
from services.kernel.clock import Clock
from services.kernel.errors import DomainError, InvalidInput, NotFound
from services.kernel.readmodel import ReadStore, Row, Tx
from services.kernel.settings import SignInSettings

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, email TEXT NOT NULL UNIQUE,"
    " password_hash TEXT NOT NULL, role TEXT NOT NULL, volunteer_id TEXT, disabled INTEGER NOT NULL,"
    " created_at TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS sessions (token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
    " created_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS api_keys (key_id TEXT PRIMARY KEY, prefix TEXT NOT NULL UNIQUE,"
    " secret_hash TEXT NOT NULL, name TEXT NOT NULL, role TEXT NOT NULL, created_by TEXT NOT NULL,"
    " created_at TEXT NOT NULL, revoked_at TEXT)",
    "CREATE TABLE IF NOT EXISTS sign_in_failures (email TEXT NOT NULL, ip TEXT NOT NULL, at TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS sign_in_failures_by_pair ON sign_in_failures (email, ip, at)",
    "CREATE INDEX IF NOT EXISTS sign_in_failures_by_account ON sign_in_failures (email, at)",
    "CREATE INDEX IF NOT EXISTS sign_in_failures_by_time ON sign_in_failures (at)",
    "CREATE TABLE IF NOT EXISTS account_changes (change_id TEXT PRIMARY KEY, at TEXT NOT NULL,"
    " actor TEXT NOT NULL, subject TEXT NOT NULL, change TEXT NOT NULL, detail TEXT NOT NULL)",
    # sign-up and the volunteers' desk: one-time links that let an approved volunteer set their password
    "CREATE TABLE IF NOT EXISTS invitations (token_hash TEXT PRIMARY KEY, email TEXT NOT NULL,"
    " volunteer_id TEXT NOT NULL, created_by TEXT NOT NULL, created_at TEXT NOT NULL,"
    " expires_at TEXT NOT NULL, used_at TEXT)",
    # the accounts desk: one-time links for accounts an administrator created without choosing a password
    "CREATE TABLE IF NOT EXISTS account_invitations (token_hash TEXT PRIMARY KEY, account_id TEXT NOT NULL,"
    " created_by TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, used_at TEXT)",
    "CREATE INDEX IF NOT EXISTS account_invitations_by_account ON account_invitations (account_id, used_at)",
)
# An account created by invitation has no password until its link is used: this empty hash matches none.
NO_PASSWORD = ""


class Identity:
    """Accounts, sessions and API keys. Time comes from the clock so expiry and rate limits are testable."""

    def __init__(self, store: ReadStore, clock: Clock, hasher: PasswordHasher | None = None,
                 limits: SignInSettings | None = None) -> None:
        self.store = store
        self.clock = clock
        self.limits = limits or SignInSettings()
        self._hasher = hasher or PasswordHasher()
        self._decoy = ""
        store.create(SCHEMA)

    # --- accounts -------------------------------------------------------------------------------------
    def create_account(self, email: str, password: str, role: str, by: Actor,
                       volunteer_id: UUID | None = None) -> Account:
        """A new account; the e-mail is its sign-in name (case-insensitive)."""
        email = _normal_email(email)
        check_role(role, volunteer_id)
        check_password(password)
        account_id = uuid.uuid4()
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 AS x FROM accounts WHERE email = ?", (email,)):
                raise DomainError(f"an account for {email} already exists; change its role instead")
            tx.execute(
                "INSERT INTO accounts (account_id, email, password_hash, role, volunteer_id, disabled, created_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?)",
                (str(account_id), email, self._hasher.hash(password), role, _opt(volunteer_id), self._now()))
            self._record(tx, by, f"account:{account_id}", "created", f"email={email} role={role}")
        return self.account(account_id)

    def change_role(self, account_id: UUID, role: str, by: Actor, volunteer_id: UUID | None = None) -> Account:
        check_role(role, volunteer_id)
        with self.store.transaction() as tx:
            before = _account_row(tx, account_id)
            if before["role"] == Role.ADMINISTRATOR and role != Role.ADMINISTRATOR:
                _keep_an_administrator(tx, account_id)
            tx.execute("UPDATE accounts SET role = ?, volunteer_id = ? WHERE account_id = ?",
                       (role, _opt(volunteer_id), str(account_id)))
            self._record(tx, by, f"account:{account_id}", "role_changed", f"{before['role']} -> {role}")
        return self.account(account_id)

    def disable(self, account_id: UUID, by: Actor) -> Account:
        """Disable an account and end its sessions at once."""
        with self.store.transaction() as tx:
            row = _account_row(tx, account_id)
            if row["disabled"]:
                return _account(row)  # already disabled: nothing changes, nothing to record
            if row["role"] == Role.ADMINISTRATOR:
                _keep_an_administrator(tx, account_id)
            tx.execute("UPDATE accounts SET disabled = 1 WHERE account_id = ?", (str(account_id),))
            tx.execute("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                       (self._now(), str(account_id)))
            # its unused links stop working too: enabling it again does not revive them
            tx.execute("UPDATE account_invitations SET expires_at = ? WHERE account_id = ? AND used_at IS NULL"
                       " AND expires_at > ?", (self._now(), str(account_id), self._now()))
            self._record(tx, by, f"account:{account_id}", "disabled", "")
        return self.account(account_id)

    def account(self, account_id: UUID) -> Account:
        with self.store.transaction() as tx:
            return _account(_account_row(tx, account_id))

    def accounts(self) -> list[Account]:
        return [_account(r) for r in self.store.query("SELECT * FROM accounts ORDER BY email")]

    def has_administrator(self) -> bool:
        return self.store.one("SELECT 1 AS x FROM accounts WHERE role = ? AND disabled = 0",
                              (Role.ADMINISTRATOR.value,)) is not None

    def changes(self, limit: int = 100) -> list[Row]:
        """The account trail, newest first."""
        return self.trail(limit)

    # --- sign-in and sessions -------------------------------------------------------------------------
    def sign_in(self, email: str, password: str, ip: str) -> Session:
        """A new session, or Unauthenticated; TooManyAttempts after too many recent failures for this account
        from this address (default 5 in 15 minutes) or from all addresses together (default 20)."""
        if not 1 <= len(password) <= MAX_PASSWORD:
            raise InvalidInput(f"password must have 1 to {MAX_PASSWORD} characters, got {len(password)}")
        email, now = email.strip().lower(), self.clock.now()
        self._refuse_if_locked(email, ip, now)
        row = self.store.one("SELECT * FROM accounts WHERE email = ?", (email,))
        if not self._password_matches(row, password) or row is None or row["disabled"]:
            with self.store.transaction() as tx:
                # Failures older than the window count no more: forget them (of every e-mail, so guesses
                # sprayed over made-up addresses do not pile up).
                tx.execute("DELETE FROM sign_in_failures WHERE at <= ?", (_iso(now - self._window()),))
                tx.execute("INSERT INTO sign_in_failures (email, ip, at) VALUES (?, ?, ?)", (email, ip, _iso(now)))
            raise Unauthenticated("e-mail or password is wrong, or the account is disabled")
        token = secrets.token_urlsafe(32)
        expires = now + SESSION_LIFETIME
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM sign_in_failures WHERE email = ? AND ip = ?", (email, ip))
            tx.execute("INSERT INTO sessions (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                       (_sha256(token), row["account_id"], _iso(now), _iso(expires)))
        return Session(token, _account(row), now, expires)

    def sign_out(self, token: str) -> None:
        """Revoke the session: the same token is refused from now on."""
        with self.store.transaction() as tx:
            tx.execute("UPDATE sessions SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                       (self._now(), _sha256(token)))

    def session_actor(self, token: str) -> Actor | None:
        """The account behind a live session token, or None (unknown, expired, revoked or disabled)."""
        row = self.store.one(
            "SELECT a.* FROM sessions s JOIN accounts a ON a.account_id = s.account_id "
            "WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND a.disabled = 0",
            (_sha256(token), self._now()))
        return None if row is None else _account(row).actor

    def _refuse_if_locked(self, email: str, ip: str, now: datetime) -> None:
        # Per address, so one mistyping user does not lock out the others; per account, so a guessing attack
        # spread over many addresses is stopped too (at the cost of locking the account for the window).
        since = _iso(now - self._window())
        by_address = self.store.query(
            "SELECT at FROM sign_in_failures WHERE email = ? AND ip = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (email, ip, since, self.limits.attempts_per_address))
        refuse_after(_instants(by_address), self.limits.attempts_per_address, self._window(), now,
                     f"{email} from this address")
        by_account = self.store.query(
            "SELECT at FROM sign_in_failures WHERE email = ? AND at > ? ORDER BY at DESC LIMIT ?",
            (email, since, self.limits.attempts_per_email))
        refuse_after(_instants(by_account), self.limits.attempts_per_email, self._window(), now,
                     f"{email} from all addresses")

    def _window(self) -> timedelta:
        return timedelta(seconds=self.limits.window_seconds)

    def _password_matches(self, row: Row | None, password: str) -> bool:
        # Unknown e-mails are checked against a decoy hash, so timing does not reveal which accounts exist.
        if row is None and not self._decoy:
            self._decoy = self._hasher.hash(secrets.token_hex(16))
        try:
            return bool(self._hasher.verify(row["password_hash"] if row else self._decoy, password)) and bool(row)
        except (VerificationError, InvalidHashError):
            return False

    # --- API keys -------------------------------------------------------------------------------------
    def create_key(self, name: str, role: str, by: Actor) -> tuple[ApiKey, str]:
        """A new API key and its secret, which is shown this once and never stored."""
        check_key_role(role)
        key_id, prefix, secret = uuid.uuid4(), secrets.token_hex(6), secrets.token_urlsafe(32)
        with self.store.transaction() as tx:
            tx.execute("INSERT INTO api_keys (key_id, prefix, secret_hash, name, role, created_by, created_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (str(key_id), prefix, _sha256(secret), name, role, by.label, self._now()))
            self._record(tx, by, f"api_key:{key_id}", "created", f"name={name} role={role}")
        return self.key(key_id), f"{KEY_PREFIX}_{prefix}_{secret}"

    def revoke_key(self, key_id: UUID, by: Actor) -> ApiKey:
        with self.store.transaction() as tx:
            if tx.execute("UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL",
                          (self._now(), str(key_id))):
                self._record(tx, by, f"api_key:{key_id}", "revoked", "")
        return self.key(key_id)

    def key(self, key_id: UUID) -> ApiKey:
        row = self.store.one("SELECT * FROM api_keys WHERE key_id = ?", (str(key_id),))
        if row is None:
            raise NotFound(f"api key {key_id} not found")
        return _key(row)

    def api_keys(self) -> list[ApiKey]:
        return [_key(r) for r in self.store.query("SELECT * FROM api_keys ORDER BY created_at, key_id")]

    def key_actor(self, presented: str) -> Actor | None:
        """The integration behind an API key `angeli_<prefix>_<secret>`, or None if unknown or revoked."""
        parts = presented.split("_", 2)
        if len(parts) != 3 or parts[0] != KEY_PREFIX:
            return None
        row = self.store.one("SELECT * FROM api_keys WHERE prefix = ? AND revoked_at IS NULL", (parts[1],))
        if row is None or not hmac.compare_digest(row["secret_hash"], _sha256(parts[2])):
            return None
        return Actor(kind="api_key", id=row["key_id"], name=row["name"], role=row["role"])

    # --- invitations (sign-up and the volunteers' desk) ---------------------------------------------
    def invite(self, email: str, volunteer_id: UUID, by: Actor) -> Invitation:
        """A one-time link for an approved volunteer to set their password; only its sha256 is stored. A new
        link replaces the volunteer's earlier unused ones: they stop working at once."""
        email, token = _normal_email(email), secrets.token_urlsafe(32)
        now = self.clock.now()
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 AS x FROM accounts WHERE email = ? OR volunteer_id = ?", (email, str(volunteer_id))):
                raise DomainError(f"an account for {email} already exists; the volunteer signs in with it")
            tx.execute("UPDATE invitations SET expires_at = ? WHERE volunteer_id = ? AND used_at IS NULL"
                       " AND expires_at > ?", (_iso(now), str(volunteer_id), _iso(now)))
            tx.execute("INSERT INTO invitations (token_hash, email, volunteer_id, created_by, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?, ?, ?)", (_sha256(token), email, str(volunteer_id), by.label,
                                                     _iso(now), _iso(now + INVITATION_LIFETIME)))
            self._record(tx, by, f"volunteer:{volunteer_id}", "invited", f"email={email}")
        return Invitation(token, email, volunteer_id, now + INVITATION_LIFETIME)

    def invitation_state(self, volunteer_id: UUID) -> tuple[bool, datetime | None]:
        """Whether the volunteer has an account (they set their password), and when their newest unused link
        expires (None: no such link; it may be in the past)."""
        with self.store.transaction() as tx:
            account = tx.one("SELECT 1 AS x FROM accounts WHERE volunteer_id = ?", (str(volunteer_id),))
            newest = tx.one("SELECT expires_at FROM invitations WHERE volunteer_id = ? AND used_at IS NULL"
                            " ORDER BY created_at DESC, expires_at DESC LIMIT 1", (str(volunteer_id),))
        return account is not None, datetime.fromisoformat(newest["expires_at"]) if newest else None

    def accept_invitation(self, token: str, password: str) -> Account:
        """The volunteer's account, with the password they chose; the link works once, before it expires."""
        check_password(password)
        with self.store.transaction() as tx:
            row = tx.one("SELECT * FROM invitations WHERE token_hash = ?", (_sha256(token),))
            if row is None:
                # an account the administrator created or invited again (the accounts desk): the same link, page
                # and route, its own table
                return self._accept_account_invitation(tx, token, password)
            state = None if row is None else InvitationState(row["used_at"], datetime.fromisoformat(row["expires_at"]))
            check_invitation(state, self.clock.now())
            assert row is not None  # check_invitation refused a missing one
            account_id = uuid.uuid4()
            tx.execute("UPDATE invitations SET used_at = ? WHERE token_hash = ?", (self._now(), row["token_hash"]))
            if tx.one("SELECT 1 AS x FROM accounts WHERE email = ?", (row["email"],)):
                raise DomainError(f"an account for {row['email']} already exists; sign in with it instead")
            tx.execute(
                "INSERT INTO accounts (account_id, email, password_hash, role, volunteer_id, disabled, created_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?)", (str(account_id), row["email"], self._hasher.hash(password),
                                                  Role.VOLUNTEER.value, row["volunteer_id"], self._now()))
            actor = Actor("invitation", row["volunteer_id"], row["email"], Role.VOLUNTEER.value)
            self._record(tx, actor, f"account:{account_id}", "created", f"email={row['email']} role=volunteer")
        return self.account(account_id)

    # --- the accounts desk (admin) ------------------------------------------------------------------
    def invite_account(self, email: str, role: str, by: Actor,
                       volunteer_id: UUID | None = None) -> tuple[Account, AccountInvitation]:
        """A new account with a role and no password, and the one-time link its owner sets it with (the
        administrator never chooses, nor sees, the password). Nobody can sign in as it until then."""
        email = _normal_email(email)
        check_role(role, volunteer_id)
        account_id = uuid.uuid4()
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 AS x FROM accounts WHERE email = ?", (email,)):
                raise DomainError(f"an account for {email} already exists; change its role instead")
            if volunteer_id is not None and tx.one("SELECT 1 AS x FROM accounts WHERE volunteer_id = ?",
                                                   (str(volunteer_id),)):
                raise DomainError(f"volunteer {volunteer_id} already has an account; change that one instead")
            tx.execute(
                "INSERT INTO accounts (account_id, email, password_hash, role, volunteer_id, disabled, created_at)"
                " VALUES (?, ?, ?, ?, ?, 0, ?)",
                (str(account_id), email, NO_PASSWORD, role, _opt(volunteer_id), self._now()))
            self._record(tx, by, f"account:{account_id}", "created", f"email={email} role={role} by invitation")
            invitation = self._issue_link(tx, account_id, by)
        return self.account(account_id), invitation

    def invite_again(self, account_id: UUID, by: Actor) -> AccountInvitation:
        """A new one-time link for the account to set its password (the first was lost, or it is forgotten); it
        replaces the account's unused links. Its current password, if any, works until the link is used."""
        with self.store.transaction() as tx:
            if _account_row(tx, account_id)["disabled"]:
                raise AccountDisabled(f"account {account_id} is disabled; enable it before sending it a link")
            return self._issue_link(tx, account_id, by)

    def enable(self, account_id: UUID, by: Actor) -> Account:
        """Let a disabled account sign in again (its old sessions stay ended)."""
        with self.store.transaction() as tx:
            if _account_row(tx, account_id)["disabled"]:
                tx.execute("UPDATE accounts SET disabled = 0 WHERE account_id = ?", (str(account_id),))
                self._record(tx, by, f"account:{account_id}", "enabled", "")
        return self.account(account_id)

    def accounts_page(self, role: str | None = None, status: str | None = None, limit: int = 50,
                      offset: int = 0) -> tuple[list[Account], int]:
        """Accounts by e-mail, filtered by role and status ("active", "invited", "disabled"); and how many match."""
        check_role_filter(role)
        check_account_status(status)
        where, params = _account_filter(role, status)
        total = self.store.one(f"SELECT COUNT(*) AS n FROM accounts{where}", params)
        rows = self.store.query(f"SELECT * FROM accounts{where} ORDER BY email LIMIT ? OFFSET ?",
                                (*params, limit, offset))
        return [_account(r) for r in rows], int(total["n"]) if total else 0

    def trail(self, limit: int = 100, offset: int = 0, subject: str | None = None) -> list[Row]:
        """The account-change trail, newest first, with the e-mail or key name of each subject where known."""
        where, params = (" WHERE c.subject = ?", (subject,)) if subject else ("", ())
        return self.store.query(
            "SELECT c.at, c.actor, c.subject, c.change, c.detail, COALESCE(a.email, k.name) AS subject_name"
            " FROM account_changes c"
            " LEFT JOIN accounts a ON c.subject = 'account:' || a.account_id"
            " LEFT JOIN api_keys k ON c.subject = 'api_key:' || k.key_id"
            f"{where} ORDER BY c.at DESC, c.change_id LIMIT ? OFFSET ?", (*params, limit, offset))

    def _issue_link(self, tx: Tx, account_id: UUID, by: Actor) -> AccountInvitation:
        now, token = self.clock.now(), secrets.token_urlsafe(32)
        tx.execute("UPDATE account_invitations SET expires_at = ? WHERE account_id = ? AND used_at IS NULL"
                   " AND expires_at > ?", (_iso(now), str(account_id), _iso(now)))
        tx.execute("INSERT INTO account_invitations (token_hash, account_id, created_by, created_at, expires_at)"
                   " VALUES (?, ?, ?, ?, ?)", (_sha256(token), str(account_id), by.label, _iso(now),
                                              _iso(now + INVITATION_LIFETIME)))
        self._record(tx, by, f"account:{account_id}", "invitation_issued",
                     f"expires={_iso(now + INVITATION_LIFETIME)}")
        return AccountInvitation(token, account_id, now + INVITATION_LIFETIME)

    def _accept_account_invitation(self, tx: Tx, token: str, password: str) -> Account:
        row = tx.one("SELECT * FROM account_invitations WHERE token_hash = ?", (_sha256(token),))
        state = None if row is None else InvitationState(row["used_at"], datetime.fromisoformat(row["expires_at"]))
        check_invitation(state, self.clock.now())
        assert row is not None  # check_invitation refused a missing one
        account = _account_row(tx, UUID(row["account_id"]))
        if account["disabled"]:
            raise AccountDisabled("this account is disabled; ask your administrator")
        tx.execute("UPDATE account_invitations SET used_at = ? WHERE token_hash = ?", (self._now(), row["token_hash"]))
        tx.execute("UPDATE accounts SET password_hash = ? WHERE account_id = ?",
                   (self._hasher.hash(password), account["account_id"]))
        # a password set again ends the sessions opened with the old one
        tx.execute("UPDATE sessions SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                   (self._now(), account["account_id"]))
        actor = Actor("invitation", account["account_id"], account["email"], account["role"])
        self._record(tx, actor, f"account:{account['account_id']}", "password_set", "")
        changed = _account_row(tx, UUID(account["account_id"]))
        return _account(changed)

    # --- trail ----------------------------------------------------------------------------------------
    def _record(self, tx: Tx, by: Actor, subject: str, change: str, detail: str) -> None:
        tx.execute("INSERT INTO account_changes (change_id, at, actor, subject, change, detail)"
                   " VALUES (?, ?, ?, ?, ?, ?)",
                   (str(uuid.uuid4()), self._now(), by.label, subject, change, detail))

    def _now(self) -> str:
        return _iso(self.clock.now())


def _keep_an_administrator(tx: Tx, account_id: UUID) -> None:
    other = tx.one("SELECT 1 AS x FROM accounts WHERE role = ? AND disabled = 0 AND account_id <> ?",
                   (Role.ADMINISTRATOR.value, str(account_id)))
    if other is None:
        raise LastAdministrator("this is the last active administrator; make another administrator first")


def _account_row(tx: Tx, account_id: UUID) -> Row:
    row = tx.one("SELECT * FROM accounts WHERE account_id = ?", (str(account_id),))
    if row is None:
        raise NotFound(f"account {account_id} not found")
    return row


def _account(row: Row) -> Account:
    volunteer = row["volunteer_id"]
    return Account(UUID(row["account_id"]), row["email"], row["role"], UUID(volunteer) if volunteer else None,
                   bool(row["disabled"]), row["created_at"], invited=row["password_hash"] == NO_PASSWORD)


def _account_filter(role: str | None, status: str | None) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if role is not None:
        clauses.append("role = ?")
        params.append(role)
    if status == "disabled":
        clauses.append("disabled = 1")
    elif status is not None:
        clauses.append("disabled = 0 AND password_hash " + ("= ?" if status == "invited" else "<> ?"))
        params.append(NO_PASSWORD)
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), tuple(params)


def _key(row: Row) -> ApiKey:
    return ApiKey(UUID(row["key_id"]), row["prefix"], row["name"], row["role"], row["created_by"],
                  row["created_at"], row["revoked_at"] is not None)


def _normal_email(email: str) -> str:
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(email.strip(), check_deliverability=False).normalized.lower()
    except EmailNotValidError as error:
        raise InvalidInput(f"email is not a valid address: {error}") from None


def _instants(rows: list[Row]) -> list[datetime]:
    return [datetime.fromisoformat(row["at"]) for row in rows]


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _iso(at: datetime) -> str:
    # A fixed width keeps ISO strings ordered as text, so SQL can compare them on both databases.
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _opt(value: Any) -> str | None:
    return None if value is None else str(value)
