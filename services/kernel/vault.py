"""The privacy vault: personal data encrypted with a key per person; erasure deletes the key.

Every read is written to `vault_access` (who, when, why), an append-only table: the audit trail of
access to personal data. Consent records (purpose, source, given, expiry) live beside the data.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.kernel import actor
from services.kernel.clock import Clock, SystemClock
from services.kernel.errors import DomainError, InvalidInput
from services.kernel.readmodel import ReadStore, Row, open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings

log = logging.getLogger(__name__)

ERASED = "[erased]"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vault_keys (person_id TEXT PRIMARY KEY, wrapped_key TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_data (person_id TEXT PRIMARY KEY, sealed TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_erasures ("
    " person_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL, erased_by TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_access (access_id TEXT PRIMARY KEY, at TEXT NOT NULL, person_id TEXT NOT NULL,"
    " actor TEXT NOT NULL, role TEXT NOT NULL, purpose TEXT NOT NULL, outcome TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vault_access_by_person ON vault_access (person_id, at)",
    "CREATE TABLE IF NOT EXISTS vault_consents (consent_id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
    " purpose TEXT NOT NULL, source TEXT NOT NULL, given_at TEXT NOT NULL, expires_at TEXT,"
    " recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vault_consents_by_person ON vault_consents (person_id, given_at)",
    # Erasures whose deleted rows the database could not yet rewrite away; retried until done.
    "CREATE TABLE IF NOT EXISTS vault_purge_pending (person_id TEXT PRIMARY KEY, since TEXT NOT NULL)",
)

# The access trail may only grow: the database itself refuses to change or delete a row of it.
_APPEND_ONLY = {
    "sqlite": (
        "CREATE TRIGGER IF NOT EXISTS vault_access_no_update BEFORE UPDATE ON vault_access"
        " BEGIN SELECT RAISE(ABORT, 'vault_access is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS vault_access_no_delete BEFORE DELETE ON vault_access"
        " BEGIN SELECT RAISE(ABORT, 'vault_access is append-only'); END",
    ),
    "postgres": (
        "CREATE OR REPLACE FUNCTION vault_access_append_only() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN RAISE EXCEPTION 'vault_access is append-only'; END $$",
        "CREATE OR REPLACE TRIGGER vault_access_append_only BEFORE UPDATE OR DELETE ON vault_access"
        " FOR EACH ROW EXECUTE FUNCTION vault_access_append_only()",
    ),
}
_SHREDDED_TABLES = ("vault_keys", "vault_data")


class PersonErased(DomainError, LookupError):
    """The person's key was deleted; their data can no longer be read by anyone. Maps to 410 Gone."""

    status_code = 410


@dataclass(frozen=True)
class Consent:
    consent_id: UUID
    person_id: UUID
    purpose: str
    source: str
    given_at: datetime
    expires_at: datetime | None
    recorded_at: str
    recorded_by: str

    def valid_at(self, at: datetime) -> bool:
        return self.given_at <= at and (self.expires_at is None or at < self.expires_at)


class PrivacyVault:
    """Names, phone numbers and e-mails never enter events: events carry the person's id only."""

    def __init__(self, store: ReadStore, master_key: bytes, clock: Clock | None = None) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self._master = AESGCM(master_key)
        store.create((*SCHEMA, *_APPEND_ONLY[store.dialect]))
        if store.one("SELECT 1 AS x FROM vault_purge_pending"):
            self.purge()

    def put(self, person_id: UUID, fields: dict[str, str]) -> None:
        """Store (or replace) a person's fields, sealed with that person's own key."""
        pid = str(person_id)
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,)):
                raise PersonErased(f"person {pid} was erased; register them again under a new id")
            row = tx.one("SELECT wrapped_key FROM vault_keys WHERE person_id = ?", (pid,))
            if row is None:
                key = AESGCM.generate_key(bit_length=256)
                tx.execute("INSERT INTO vault_keys (person_id, wrapped_key) VALUES (?, ?)",
                           (pid, _seal(self._master, key, pid)))
            else:
                key = _open(self._master, row["wrapped_key"], pid)
            sealed = _seal(AESGCM(key), json.dumps(fields, sort_keys=True).encode(), pid)
            tx.execute(
                "INSERT INTO vault_data (person_id, sealed) VALUES (?, ?) "
                "ON CONFLICT (person_id) DO UPDATE SET sealed = excluded.sealed", (pid, sealed))

    def put_many(self, people: dict[UUID, dict[str, str]]) -> set[UUID]:
        """Store many people in ONE transaction (bulk imports); returns the erased ones, left unstored.

        Set-based: erasures and existing keys are read 500 people per query, keys and data written with one
        multi-row statement each (not four statements per person)."""
        ids = [str(p) for p in people]
        erased_ids: set[str] = set()
        wrapped: dict[str, str] = {}
        with self.store.transaction() as tx:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                erased_ids |= {r["person_id"] for r in tx.query(
                    f"SELECT person_id FROM vault_erasures WHERE person_id IN ({marks})", chunk)}
                wrapped.update((r["person_id"], r["wrapped_key"]) for r in tx.query(
                    f"SELECT person_id, wrapped_key FROM vault_keys WHERE person_id IN ({marks})", chunk))
            new_keys: list[tuple[str, str]] = []
            sealed: list[tuple[str, str]] = []
            for person_id, fields in people.items():
                pid = str(person_id)
                if pid in erased_ids:
                    continue
                if pid in wrapped:
                    key = _open(self._master, wrapped[pid], pid)
                else:
                    key = AESGCM.generate_key(bit_length=256)
                    new_keys.append((pid, _seal(self._master, key, pid)))
                sealed.append((pid, _seal(AESGCM(key), json.dumps(fields, sort_keys=True).encode(), pid)))
            tx.executemany("INSERT INTO vault_keys (person_id, wrapped_key) VALUES (?, ?)", new_keys)
            tx.executemany("INSERT INTO vault_data (person_id, sealed) VALUES (?, ?) "
                           "ON CONFLICT (person_id) DO UPDATE SET sealed = excluded.sealed", sealed)
        return {p for p in people if str(p) in erased_ids}

    def get(self, person_id: UUID, purpose: str | None = None) -> dict[str, str]:
        """The person's fields; raises PersonErased after erasure, KeyError if never stored.

        The read is recorded with the current actor (see kernel.actor) and `purpose` (default: the request).
        """
        pid = str(person_id)
        with self.store.transaction() as tx:
            key_row = tx.one("SELECT wrapped_key FROM vault_keys WHERE person_id = ?", (pid,))
            data_row = tx.one("SELECT sealed FROM vault_data WHERE person_id = ?", (pid,))
            erased = tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,))
            outcome = "erased" if erased else "absent" if key_row is None or data_row is None else "read"
            self._record_access(tx, pid, purpose, outcome)
        if erased:
            raise PersonErased(f"person {pid} was erased")
        if key_row is None or data_row is None:
            raise KeyError(f"no personal data held for {pid}")
        key = _open(self._master, key_row["wrapped_key"], pid)
        fields: dict[str, str] = json.loads(_open(AESGCM(key), data_row["sealed"], pid))
        return fields

    def erase(self, person_id: UUID, erased_at: datetime, erased_by: str, reason: str) -> None:
        """Crypto-shredding: delete the person's key and sealed data; keep who erased and why.

        The tables are then rewritten, so the deleted rows do not linger in the database files.
        """
        pid = str(person_id)
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM vault_keys WHERE person_id = ?", (pid,))
            tx.execute("DELETE FROM vault_data WHERE person_id = ?", (pid,))
            tx.execute(
                "INSERT INTO vault_erasures (person_id, erased_at, erased_by, reason) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person_id) DO NOTHING", (pid, erased_at.isoformat(), erased_by, reason))
            tx.execute("INSERT INTO vault_purge_pending (person_id, since) VALUES (?, ?) "
                       "ON CONFLICT (person_id) DO NOTHING", (pid, _iso(self.clock.now())))
        self.purge()

    def purge(self) -> bool:
        """Rewrite the key and data tables so erased rows are gone from the files; True when done."""
        pending = [r["person_id"] for r in self.store.query("SELECT person_id FROM vault_purge_pending")]
        if not self.store.purge(_SHREDDED_TABLES):
            log.warning("erased rows of %d persons still in the vault files; retried at next erasure or start",
                        len(pending))
            return False
        with self.store.transaction() as tx:
            tx.executemany("DELETE FROM vault_purge_pending WHERE person_id = ?", [(p,) for p in pending])
        return True

    def is_erased(self, person_id: UUID) -> bool:
        return self.store.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (str(person_id),)) is not None

    # --- consent ----------------------------------------------------------------------------------------
    def record_consent(self, person_id: UUID, purpose: str, source: str, given_at: datetime,
                       expires_at: datetime | None = None) -> Consent:
        """Record that the person agreed to `purpose` (e.g. "phone_outreach"), where, when and until when."""
        _aware(given_at, "given_at")
        if expires_at is not None and _aware(expires_at, "expires_at") <= given_at:
            raise InvalidInput(f"expires_at must be after given_at ({given_at.isoformat()}), got {expires_at}")
        if self.is_erased(person_id):
            raise PersonErased(f"person {person_id} was erased; consent cannot be recorded")
        consent_id, by = uuid.uuid4(), actor.current().actor.label
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO vault_consents (consent_id, person_id, purpose, source, given_at, expires_at,"
                " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(consent_id), str(person_id), purpose, source, _iso(given_at),
                 _iso(expires_at) if expires_at else None, _iso(self.clock.now()), by))
        return next(c for c in self.consents(person_id) if c.consent_id == consent_id)

    def consents(self, person_id: UUID) -> list[Consent]:
        rows = self.store.query("SELECT * FROM vault_consents WHERE person_id = ? ORDER BY given_at, consent_id",
                                (str(person_id),))
        return [_consent(r) for r in rows]

    def has_consent(self, person_id: UUID, purpose: str, at: datetime) -> bool:
        return any(c.purpose == purpose and c.valid_at(at) for c in self.consents(person_id))

    # --- access and portability -----------------------------------------------------------------------
    def accesses(self, person_id: UUID | None = None, limit: int = 100) -> list[Row]:
        """The access trail, newest first, for one person or for everyone."""
        where, params = ("WHERE person_id = ?", [str(person_id)]) if person_id else ("", [])
        return self.store.query(f"SELECT at, person_id, actor, role, purpose, outcome FROM vault_access {where} "
                                "ORDER BY at DESC, access_id LIMIT ?", (*params, limit))

    def export(self, person_id: UUID) -> dict[str, Any]:
        """Everything held about a person, as JSON-ready values (access and portability requests)."""
        pid = str(person_id)
        try:
            fields: dict[str, str] | None = self.get(person_id, purpose="subject access export")
        except (PersonErased, KeyError):
            fields = None
        erasure = self.store.one("SELECT erased_at, erased_by, reason FROM vault_erasures WHERE person_id = ?", (pid,))
        return {
            "person_id": pid,
            "exported_at": _iso(self.clock.now()),
            "personal_data": fields,
            "erased": erasure is not None,
            "erasure": erasure,
            "consents": [{"purpose": c.purpose, "source": c.source, "given_at": _iso(c.given_at),
                          "expires_at": _iso(c.expires_at) if c.expires_at else None,
                          "recorded_at": c.recorded_at, "recorded_by": c.recorded_by}
                         for c in self.consents(person_id)],
            "accesses": self.accesses(person_id, limit=10_000),
        }

    def _record_access(self, tx: Any, pid: str, purpose: str | None, outcome: str) -> None:
        access = actor.current()
        tx.execute("INSERT INTO vault_access (access_id, at, person_id, actor, role, purpose, outcome)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?)",
                   (str(uuid.uuid4()), _iso(self.clock.now()), pid, access.actor.label, access.actor.role,
                    purpose or access.purpose, outcome))


def _consent(row: Row) -> Consent:
    expires = row["expires_at"]
    return Consent(UUID(row["consent_id"]), UUID(row["person_id"]), row["purpose"], row["source"],
                   datetime.fromisoformat(row["given_at"]), datetime.fromisoformat(expires) if expires else None,
                   row["recorded_at"], row["recorded_by"])


def _aware(at: datetime, name: str) -> datetime:
    if at.tzinfo is None:
        raise InvalidInput(f"{name} needs a time zone, got {at.isoformat()}")
    return at


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def _seal(cipher: AESGCM, plaintext: bytes, person_id: str) -> str:
    nonce = os.urandom(12)
    # The person id is bound as associated data: a sealed value cannot be moved to another person.
    return (nonce + cipher.encrypt(nonce, plaintext, person_id.encode())).hex()


def _open(cipher: AESGCM, sealed: str, person_id: str) -> bytes:
    raw = bytes.fromhex(sealed)
    return cipher.decrypt(raw[:12], raw[12:], person_id.encode())


def open_vault(settings: Settings, clock: Clock | None = None) -> PrivacyVault:
    """The installation's vault: its own store and the master key from the settings (or var/secrets)."""
    return PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"), clock)
