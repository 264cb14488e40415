"""The privacy vault: personal data encrypted with a key per person; erasure deletes the key.

Every read is first recorded as an immutable event in the access trail (who, role, why, outcome, which
fields were shown; see privacy.trail). Person keys are wrapped by a master key of a numbered epoch;
rotating the master key re-wraps them all, so a wrapped key left in an old backup or WAL segment is useless
once the old master key is destroyed. Consent records (purpose, source, given, expiry) live beside the data.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.identity.domain import Access, Actor
from services.kernel.clock import Clock, SystemClock
from services.kernel.readmodel import ReadStore, Row
from services.privacy.domain import (
    Consent,
    ConsentNotFound,
    PersonErased,
    UnknownPerson,
    check_erasure_confirmation,
    check_new_consent,
    check_withdrawal,
)
from services.privacy.master import MasterKey, seal, unseal
from services.privacy.trail import AccessTrail

log = logging.getLogger(__name__)

ERASED = "[erased]"

SCHEMA = (
    # Each master key ever used, by epoch; only the current one has no retired_at.
    "CREATE TABLE IF NOT EXISTS vault_master (epoch INTEGER PRIMARY KEY, fingerprint TEXT NOT NULL,"
    " created_at TEXT NOT NULL, retired_at TEXT)",
    "CREATE TABLE IF NOT EXISTS vault_keys (person_id TEXT PRIMARY KEY, epoch INTEGER NOT NULL,"
    " wrapped_key TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_data (person_id TEXT PRIMARY KEY, sealed TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_erasures ("
    " person_id TEXT PRIMARY KEY, erased_at TEXT NOT NULL, erased_by TEXT NOT NULL, reason TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_consents (consent_id TEXT PRIMARY KEY, person_id TEXT NOT NULL,"
    " purpose TEXT NOT NULL, source TEXT NOT NULL, given_at TEXT NOT NULL, expires_at TEXT,"
    " recorded_at TEXT NOT NULL, recorded_by TEXT NOT NULL)",
    "CREATE INDEX IF NOT EXISTS vault_consents_by_person ON vault_consents (person_id, given_at)",
    # What the privacy desk adds to a consent: its channel and the version of the text agreed to; consents recorded
    # before have no row here and read as channel "any", no text version. A withdrawal is a row of its own: the
    # consent's own row is never changed.
    "CREATE TABLE IF NOT EXISTS vault_consent_terms (consent_id TEXT PRIMARY KEY, channel TEXT NOT NULL,"
    " text_version TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS vault_consent_withdrawals (consent_id TEXT PRIMARY KEY, withdrawn_at TEXT NOT NULL,"
    " withdrawn_by TEXT NOT NULL, source TEXT NOT NULL, recorded_at TEXT NOT NULL)",
    # Erasures whose deleted rows the database could not yet rewrite away; retried until done.
    "CREATE TABLE IF NOT EXISTS vault_purge_pending (person_id TEXT PRIMARY KEY, since TEXT NOT NULL)",
    # People stored for records their service (the owner) had not saved yet: cleared once it has; what a crash
    # in between leaves is swept by the owner (see `unsaved`).
    "CREATE TABLE IF NOT EXISTS vault_unsaved (person_id TEXT PRIMARY KEY, owner TEXT NOT NULL,"
    " since TEXT NOT NULL)",
)

_SHREDDED_TABLES = ("vault_keys", "vault_data")
_CONSENTS = ("SELECT c.*, t.channel, t.text_version, w.withdrawn_at, w.withdrawn_by, w.source AS withdrawal_source"
             " FROM vault_consents c LEFT JOIN vault_consent_terms t ON t.consent_id = c.consent_id"
             " LEFT JOIN vault_consent_withdrawals w ON w.consent_id = c.consent_id")
# How long people may stay unsaved before the sweep counts their records lost: far longer than any save takes
# from the vault to the event store (a bulk import's batch waiting for its fund included).
UNSAVED_GRACE = timedelta(hours=1)
# One round trip for a read: the person's key, data and erasure mark (any of them may be missing).
_READ = ("SELECT k.epoch, k.wrapped_key, d.sealed, e.person_id AS erased FROM (SELECT CAST(? AS TEXT) AS pid) p"
         " LEFT JOIN vault_keys k ON k.person_id = p.pid LEFT JOIN vault_data d ON d.person_id = p.pid"
         " LEFT JOIN vault_erasures e ON e.person_id = p.pid")


class PrivacyVault:
    """Names, phone numbers and e-mails never enter events: events carry the person's id only."""

    def __init__(self, store: ReadStore, master_key: bytes, clock: Clock | None = None,
                 trail: AccessTrail | None = None) -> None:
        self.store = store
        self.clock: Clock = clock or SystemClock()
        # Where reads are recorded; unit tests that give none get an in-memory trail.
        self.trail = trail or AccessTrail({"PERSISTENCE_MODULE": "eventsourcing.popo"}, self.clock)
        store.create(SCHEMA)
        self.master = MasterKey(store, master_key, self.clock)
        if store.one("SELECT 1 AS x FROM vault_purge_pending"):
            self.purge()

    @property
    def epoch(self) -> int:
        """The epoch of the master key this vault holds."""
        return self.master.epoch

    def put(self, person_id: UUID, fields: dict[str, str]) -> None:
        """Store (or replace) a person's fields, sealed with that person's own key."""
        pid = str(person_id)
        with self.store.transaction() as tx:
            self.master.hold(tx)
            if tx.one("SELECT 1 AS x FROM vault_erasures WHERE person_id = ?", (pid,)):
                raise PersonErased(f"person {pid} was erased; register them again under a new id")
            row = tx.one("SELECT epoch, wrapped_key FROM vault_keys WHERE person_id = ?", (pid,))
            if row is None:
                key = AESGCM.generate_key(bit_length=256)
                tx.execute("INSERT INTO vault_keys (person_id, epoch, wrapped_key) VALUES (?, ?, ?)",
                           (pid, self.master.epoch, self.master.wrap(key, pid)))
            else:
                key = self.master.unwrap(row, pid)
            sealed = seal(AESGCM(key), json.dumps(fields, sort_keys=True).encode(), pid)
            tx.execute(
                "INSERT INTO vault_data (person_id, sealed) VALUES (?, ?) "
                "ON CONFLICT (person_id) DO UPDATE SET sealed = excluded.sealed", (pid, sealed))

    def put_many(self, people: dict[UUID, dict[str, str]], merge: bool = False,
                 unsaved_by: str | None = None) -> set[UUID]:
        """Store many people in ONE transaction (bulk imports); returns the erased ones, left unstored.

        With `unsaved_by` (a service), the people new to the vault are noted as not yet saved by that service,
        in the same transaction: it calls `saved` once its records are stored, and sweeps what a crash in
        between left (`unsaved`), so personal data never outlives a record that was never saved.

        With `merge`, a person already held keeps the fields the new data leaves out or empty, and takes the
        new non-empty values (a contact list without e-mails does not wipe an e-mail known from before);
        without it the new fields replace what is held. The merge opens the stored data inside the vault and
        shows it to nobody, so it is not an access. Set-based: erasures, existing keys (and, to merge, data)
        are read 500 people per query, keys and data written with one multi-row statement each."""
        ids = [str(p) for p in people]
        erased_ids: set[str] = set()
        wrapped: dict[str, Row] = {}
        held: dict[str, str] = {}
        with self.store.transaction() as tx:
            self.master.hold(tx)
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                marks = ", ".join("?" for _ in chunk)
                erased_ids |= {r["person_id"] for r in tx.query(
                    f"SELECT person_id FROM vault_erasures WHERE person_id IN ({marks})", chunk)}
                wrapped.update((r["person_id"], r) for r in tx.query(
                    f"SELECT person_id, epoch, wrapped_key FROM vault_keys WHERE person_id IN ({marks})", chunk))
                if merge:
                    held.update((r["person_id"], r["sealed"]) for r in tx.query(
                        f"SELECT person_id, sealed FROM vault_data WHERE person_id IN ({marks})", chunk))
            new_keys: list[tuple[str, int, str]] = []
            sealed: list[tuple[str, str]] = []
            for person_id, fields in people.items():
                pid = str(person_id)
                if pid in erased_ids:
                    continue
                if pid in wrapped:
                    key = self.master.unwrap(wrapped[pid], pid)
                else:
                    key = AESGCM.generate_key(bit_length=256)
                    new_keys.append((pid, self.master.epoch, self.master.wrap(key, pid)))
                if pid in held:
                    before: dict[str, str] = json.loads(unseal(AESGCM(key), held[pid], pid))
                    fields = {**before, **{name: value for name, value in fields.items() if value}}
                sealed.append((pid, seal(AESGCM(key), json.dumps(fields, sort_keys=True).encode(), pid)))
            tx.executemany("INSERT INTO vault_keys (person_id, epoch, wrapped_key) VALUES (?, ?, ?)", new_keys)
            tx.executemany("INSERT INTO vault_data (person_id, sealed) VALUES (?, ?) "
                           "ON CONFLICT (person_id) DO UPDATE SET sealed = excluded.sealed", sealed)
            if unsaved_by is not None:
                since = _iso(self.clock.now())
                tx.executemany("INSERT INTO vault_unsaved (person_id, owner, since) VALUES (?, ?, ?)",
                               [(pid, unsaved_by, since) for pid, _, _ in new_keys])
        return {p for p in people if str(p) in erased_ids}

    def saved(self, person_ids: Collection[UUID]) -> None:
        """The records of these people are saved: their data is no longer a candidate for the sweep."""
        ids = [str(p) for p in person_ids]
        if not ids:
            return
        with self.store.transaction() as tx:
            for start in range(0, len(ids), 500):  # an import batch's donors: one statement
                chunk = ids[start:start + 500]
                tx.execute(f"DELETE FROM vault_unsaved WHERE person_id IN ({', '.join('?' for _ in chunk)})", chunk)

    def unsaved(self, owner: str, older_than: timedelta) -> list[UUID]:
        """People `owner` stored more than `older_than` ago and has not said it saved: a process that stopped
        between the vault and its event store."""
        before = _iso(self.clock.now() - older_than)
        rows = self.store.query("SELECT person_id FROM vault_unsaved WHERE owner = ? AND since < ? ORDER BY since",
                                (owner, before))
        return [UUID(r["person_id"]) for r in rows]

    @contextmanager
    def new_people(self, people: dict[UUID, dict[str, str]], owner: str,
                   existing: Callable[[list[UUID]], set[UUID]]) -> Iterator[None]:
        """Store people new to the vault for records `owner` saves inside the block: noted unsaved until the
        block ends. If it raises, the people whose records do not exist (`existing` answers which: a save can
        fail after its commit) are discarded at once; if the process stops inside, `sweep_unsaved` does it."""
        self.put_many(people, unsaved_by=owner)
        try:
            yield
        except BaseException:
            with suppress(Exception):  # the store is away too: the note stays, for the sweep
                self._settle(list(people), existing)
            raise
        self.saved(people)

    def sweep_unsaved(self, owner: str, existing: Callable[[list[UUID]], set[UUID]],
                      older_than: timedelta = UNSAVED_GRACE) -> int:
        """People `owner` left unsaved longer than `older_than`: those whose records exist after all (`existing`
        answers which) are kept, the others' data is discarded and purged. Returns how many were discarded."""
        lost = self._settle(self.unsaved(owner, older_than), existing)
        if lost:
            self.purge()
            log.warning("discarded the personal data of %d people %s stored but never saved", lost, owner)
        return lost

    def _settle(self, unsaved: list[UUID], existing: Callable[[list[UUID]], set[UUID]]) -> int:
        """Keep the people whose records exist, discard the others; returns how many were discarded."""
        if not unsaved:
            return 0
        kept = existing(unsaved)
        self.saved(kept)
        lost = [person_id for person_id in unsaved if person_id not in kept]
        self.discard(lost)
        return len(lost)

    def get(self, person_id: UUID, access: Access, fields: Collection[str] | None = None) -> dict[str, str]:
        """The person's fields (only those named in `fields`, when given), shown to `access`'s actor for its
        purpose; raises PersonErased after erasure, KeyError if never stored.

        Every read is recorded in the access trail FIRST, with the actor, its role and purpose, the outcome
        and the names of the fields shown: when the record cannot be stored, the error propagates and nothing
        is returned.
        """
        pid = str(person_id)
        row = self.store.one(_READ, (pid,))
        assert row is not None  # the query always answers one row, its columns null where nothing is held
        shown: dict[str, str] = {}
        if row["erased"] is not None:
            outcome = "erased"
        elif row["wrapped_key"] is None or row["sealed"] is None:
            outcome = "absent"
        else:
            outcome = "read"
            held: dict[str, str] = json.loads(unseal(AESGCM(self.master.unwrap(row, pid)), row["sealed"], pid))
            shown = held if fields is None else {name: held[name] for name in fields if name in held}
        self.trail.record(UUID(pid), access.actor.label, access.actor.role, access.purpose, outcome, list(shown))
        if outcome == "erased":
            raise PersonErased(f"person {pid} was erased")
        if outcome == "absent":
            raise KeyError(f"no personal data held for {pid}")
        return shown

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

    def discard(self, person_ids: Collection[UUID]) -> None:
        """Forget people stored a moment ago whose records were then not saved (a bulk import's line that another
        import recorded first): their key and data go, as at an erasure, but nobody was erased, so no erasure is
        recorded. The files are rewritten at the next purge."""
        pids = [(str(p),) for p in person_ids]
        if not pids:
            return
        since = _iso(self.clock.now())
        with self.store.transaction() as tx:
            tx.executemany("DELETE FROM vault_keys WHERE person_id = ?", pids)
            tx.executemany("DELETE FROM vault_data WHERE person_id = ?", pids)
            tx.executemany("DELETE FROM vault_unsaved WHERE person_id = ?", pids)
            tx.executemany("INSERT INTO vault_purge_pending (person_id, since) VALUES (?, ?) "
                           "ON CONFLICT (person_id) DO NOTHING", [(pid, since) for (pid,) in pids])

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

    def knows(self, person_id: UUID) -> bool:
        """Whether anything is held under the id: personal data, a consent or an erasure (reads no data)."""
        pid = str(person_id)
        return self.store.one(
            "SELECT 1 AS x FROM vault_keys WHERE person_id = ?"
            " UNION ALL SELECT 1 FROM vault_erasures WHERE person_id = ?"
            " UNION ALL SELECT 1 FROM vault_consents WHERE person_id = ?", (pid, pid, pid)) is not None

    def on_file(self, person_id: UUID) -> OnFile:
        """What the privacy desk shows of a person before anyone reads their data: whether data is held, the
        erasure if any, and the consents; the personal data itself is not read (so no access is recorded)."""
        pid = str(person_id)
        if not self.knows(person_id):
            raise UnknownPerson(f"no one is held under the id {pid}: check the id (a donor's or a volunteer's)")
        held = self.store.one("SELECT 1 AS x FROM vault_data WHERE person_id = ?", (pid,)) is not None
        return OnFile(person_id, held, self.erasure(person_id), tuple(self.consents(person_id)))

    def erasure(self, person_id: UUID) -> Row | None:
        """When, by whom and why the person was erased; None if they were not."""
        return self.store.one("SELECT erased_at, erased_by, reason FROM vault_erasures WHERE person_id = ?",
                              (str(person_id),))

    def request_erasure(self, person_id: UUID, reason: str, confirmation: str, *, by: Actor) -> Row:
        """The privacy desk's erasure: refused, with nothing erased, for an unknown person or a confirmation that
        is not the person's id; a person erased already keeps their first erasure. Returns the erasure."""
        if not self.knows(person_id):
            raise UnknownPerson(f"no one is held under the id {person_id}: check the id; nothing was erased")
        check_erasure_confirmation(person_id, confirmation)
        if not self.is_erased(person_id):
            self.erase(person_id, self.clock.now(), by.label, reason)
        erasure = self.erasure(person_id)
        assert erasure is not None
        return erasure

    # --- consent ----------------------------------------------------------------------------------------
    def record_consent(self, person_id: UUID, purpose: str, source: str, given_at: datetime,
                       expires_at: datetime | None = None, *, by: Actor, channel: str = "any",
                       text_version: str = "") -> Consent:
        """Record that the person agreed to `purpose` (e.g. "phone_outreach") on `channel`, where (`source`), when,
        until when (none: until withdrawn) and to which version of the text; `by` is who records it. Refused,
        with nothing stored, for a person the vault holds nothing about, an erased one, or a window that makes
        no sense (see domain.check_new_consent)."""
        check_new_consent(given_at, expires_at, channel, self.clock.now())
        if self.is_erased(person_id):
            raise PersonErased(f"person {person_id} was erased; consent cannot be recorded")
        if not self.knows(person_id):
            raise UnknownPerson(f"no one is held under the id {person_id}: check the id; no consent was recorded")
        consent_id = uuid.uuid4()
        with self.store.transaction() as tx:
            tx.execute(
                "INSERT INTO vault_consents (consent_id, person_id, purpose, source, given_at, expires_at,"
                " recorded_at, recorded_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (str(consent_id), str(person_id), purpose, source, _iso(given_at),
                 _iso(expires_at) if expires_at else None, _iso(self.clock.now()), by.label))
            tx.execute("INSERT INTO vault_consent_terms (consent_id, channel, text_version) VALUES (?, ?, ?)",
                       (str(consent_id), channel, text_version))
        return self.consent(person_id, consent_id)

    def withdraw_consent(self, person_id: UUID, consent_id: UUID, withdrawn_at: datetime, source: str, *,
                         by: Actor) -> Consent:
        """The person took back consent `consent_id` at `withdrawn_at` (how they said so: `source`); the consent
        stays on record, no longer valid from then on."""
        consent = self.consent(person_id, consent_id)
        check_withdrawal(consent, withdrawn_at, self.clock.now())
        with self.store.transaction() as tx:
            tx.execute("INSERT INTO vault_consent_withdrawals (consent_id, withdrawn_at, withdrawn_by, source,"
                       " recorded_at) VALUES (?, ?, ?, ?, ?)",
                       (str(consent_id), _iso(withdrawn_at), by.label, source, _iso(self.clock.now())))
        return self.consent(person_id, consent_id)

    def consent(self, person_id: UUID, consent_id: UUID) -> Consent:
        """One of the person's consents; ConsentNotFound if it does not exist or is someone else's."""
        row = self.store.one(f"{_CONSENTS} WHERE c.consent_id = ? AND c.person_id = ?",
                             (str(consent_id), str(person_id)))
        if row is None:
            raise ConsentNotFound(f"person {person_id} has no consent {consent_id}")
        return _consent(row)

    def consents(self, person_id: UUID) -> list[Consent]:
        rows = self.store.query(f"{_CONSENTS} WHERE c.person_id = ? ORDER BY c.given_at, c.consent_id",
                                (str(person_id),))
        return [_consent(r) for r in rows]

    def has_consent(self, person_id: UUID, purpose: str, at: datetime) -> bool:
        return any(c.purpose == purpose and c.valid_at(at) for c in self.consents(person_id))

    # --- access and portability -----------------------------------------------------------------------
    def export(self, person_id: UUID, by: Actor) -> dict[str, Any]:
        """Everything the vault holds about a person, as JSON-ready values (access and portability requests),
        read by `by`; the record of who read it is in the access_log read model."""
        pid = str(person_id)
        try:
            fields: dict[str, str] | None = self.get(person_id, Access(by, "subject access export"))
        except (PersonErased, KeyError):
            fields = None
        erasure = self.store.one("SELECT erased_at, erased_by, reason FROM vault_erasures WHERE person_id = ?", (pid,))
        return {
            "person_id": pid,
            "exported_at": _iso(self.clock.now()),
            "personal_data": fields,
            "erased": erasure is not None,
            "erasure": erasure,
            "consents": [{"purpose": c.purpose, "channel": c.channel, "text_version": c.text_version,
                          "source": c.source, "given_at": _iso(c.given_at),
                          "expires_at": _iso(c.expires_at) if c.expires_at else None,
                          "recorded_at": c.recorded_at, "recorded_by": c.recorded_by,
                          "withdrawn_at": _iso(c.withdrawn_at) if c.withdrawn_at else None,
                          "withdrawal_source": c.withdrawal_source}
                         for c in self.consents(person_id)],
        }

    def rotate(self, new_master_key: bytes) -> int:
        """Re-wrap every person key under `new_master_key` (see MasterKey.rotate); then rewrite the files, so they
        keep no row wrapped by the retired key either. Returns how many person keys were re-wrapped."""
        count = self.master.rotate(new_master_key)
        self.purge()
        return count


@dataclass(frozen=True)
class OnFile:
    """What the vault holds about a person, their data aside."""

    person_id: UUID
    holds_data: bool
    erasure: Row | None
    consents: tuple[Consent, ...]


def _consent(row: Row) -> Consent:
    expires, withdrawn = row["expires_at"], row["withdrawn_at"]
    return Consent(UUID(row["consent_id"]), UUID(row["person_id"]), row["purpose"], row["source"],
                   datetime.fromisoformat(row["given_at"]), datetime.fromisoformat(expires) if expires else None,
                   row["recorded_at"], row["recorded_by"], row["channel"] or "any", row["text_version"] or "",
                   datetime.fromisoformat(withdrawn) if withdrawn else None, row["withdrawn_by"],
                   row["withdrawal_source"])


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")
