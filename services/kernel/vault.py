"""The privacy vault: personal data encrypted with a key per person; erasure deletes the key."""

from __future__ import annotations

import json
import os
from datetime import datetime
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.kernel.readmodel import ReadStore, Tx

ERASED = "[erased]"

SCHEMA = (
    "CREATE TABLE IF NOT EXISTS vault_keys (person_id TEXT PRIMARY KEY, wrapped_key TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_data (person_id TEXT PRIMARY KEY, sealed TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_erasures ("
    " person_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL, erased_by TEXT NOT NULL, reason TEXT NOT NULL)",
)


class PersonErased(LookupError):
    """The person's key was deleted; their data can no longer be read by anyone."""


class PrivacyVault:
    """Names, phone numbers and e-mails never enter events: events carry the person's id only."""

    def __init__(self, store: ReadStore, master_key: bytes) -> None:
        self.store = store
        self._master = AESGCM(master_key)
        store.create(SCHEMA)

    def put(self, person_id: UUID, fields: dict[str, str]) -> None:
        """Store (or replace) a person's fields, sealed with that person's own key."""
        pid = str(person_id)
        with self.store.transaction() as tx:
            if tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,)):
                raise PersonErased(f"person {pid} was erased; register them again under a new id")
            self._seal_into(tx, pid, fields)

    def put_many(self, people: dict[UUID, dict[str, str]]) -> set[UUID]:
        """Store many people in one transaction (bulk imports); returns the erased ones, left unstored."""
        erased: set[UUID] = set()
        with self.store.transaction() as tx:
            for person_id, fields in people.items():
                pid = str(person_id)
                if tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,)):
                    erased.add(person_id)
                    continue
                self._seal_into(tx, pid, fields)
        return erased

    def _seal_into(self, tx: Tx, pid: str, fields: dict[str, str]) -> None:
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

    def get(self, person_id: UUID) -> dict[str, str]:
        """The person's fields; raises PersonErased after erasure, KeyError if never stored."""
        pid = str(person_id)
        with self.store.transaction() as tx:
            key_row = tx.one("SELECT wrapped_key FROM vault_keys WHERE person_id = ?", (pid,))
            data_row = tx.one("SELECT sealed FROM vault_data WHERE person_id = ?", (pid,))
            erased = tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,))
        if erased:
            raise PersonErased(f"person {pid} was erased")
        if key_row is None or data_row is None:
            raise KeyError(f"no personal data held for {pid}")
        key = _open(self._master, key_row["wrapped_key"], pid)
        fields: dict[str, str] = json.loads(_open(AESGCM(key), data_row["sealed"], pid))
        return fields

    def erase(self, person_id: UUID, erased_at: datetime, erased_by: str, reason: str) -> None:
        """Crypto-shredding: delete the person's key and sealed data; keep who erased and why."""
        pid = str(person_id)
        with self.store.transaction() as tx:
            tx.execute("DELETE FROM vault_keys WHERE person_id = ?", (pid,))
            tx.execute("DELETE FROM vault_data WHERE person_id = ?", (pid,))
            tx.execute(
                "INSERT INTO vault_erasures (person_id, erased_at, erased_by, reason) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (person_id) DO NOTHING", (pid, erased_at.isoformat(), erased_by, reason))

    def is_erased(self, person_id: UUID) -> bool:
        return self.store.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (str(person_id),)) is not None


def _seal(cipher: AESGCM, plaintext: bytes, person_id: str) -> str:
    nonce = os.urandom(12)
    # The person id is bound as associated data: a sealed value cannot be moved to another person.
    return (nonce + cipher.encrypt(nonce, plaintext, person_id.encode())).hex()


def _open(cipher: AESGCM, sealed: str, person_id: str) -> bytes:
    raw = bytes.fromhex(sealed)
    return cipher.decrypt(raw[:12], raw[12:], person_id.encode())
