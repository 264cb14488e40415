"""The vault's master key of a numbered epoch: it wraps each person's key, refuses to work under a retired epoch,
and rotates (re-wraps every person key under a new master key in one transaction).

The key itself never leaves the process; the database knows each epoch's public fingerprint only.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services.kernel.clock import Clock
from services.kernel.errors import InvalidInput
from services.kernel.readmodel import ReadStore, Row, Tx
from services.privacy.domain import MasterKeyMismatch
from services.privacy.keys import fingerprint


class MasterKey:
    """The master key this process holds, and its epoch (adopted from the vault's `vault_master` table)."""

    def __init__(self, store: ReadStore, master_key: bytes, clock: Clock) -> None:
        self.store = store
        self.clock = clock
        self._use(master_key, self._adopt(fingerprint(master_key)))

    @property
    def epoch(self) -> int:
        return self._epoch

    def _use(self, master_key: bytes, epoch: int) -> None:
        self._master = AESGCM(master_key)
        self._fingerprint = fingerprint(master_key)
        self._epoch = epoch

    def rotate(self, new_master_key: bytes) -> int:
        """Re-wrap every person key under `new_master_key` in ONE transaction, retiring this key's epoch.

        Returns how many person keys were re-wrapped. Afterwards only the new key opens the vault: a wrapped
        key copied earlier (a backup, an old WAL segment) needs the retired key, which the caller destroys.
        The vault then rewrites its files (`PrivacyVault.rotate`).
        """
        if fingerprint(new_master_key) == self._fingerprint:
            raise InvalidInput("the new master key must differ from the current one")
        new_epoch, cipher, now = self._epoch + 1, AESGCM(new_master_key), _iso(self.clock.now())
        with self.store.transaction() as tx:
            # Locks the current epoch: another process's put waits, then finds it retired and refuses.
            self.hold(tx, lock=tx.for_update)
            rows = tx.query("SELECT person_id, epoch, wrapped_key FROM vault_keys")
            tx.executemany("UPDATE vault_keys SET epoch = ?, wrapped_key = ? WHERE person_id = ?", [
                (new_epoch, seal(cipher, self.unwrap(r, r["person_id"]), wrapping(r["person_id"], new_epoch)),
                 r["person_id"]) for r in rows])
            tx.execute("UPDATE vault_master SET retired_at = ? WHERE epoch = ?", (now, self._epoch))
            tx.execute("INSERT INTO vault_master (epoch, fingerprint, created_at) VALUES (?, ?, ?)",
                       (new_epoch, fingerprint(new_master_key), now))
        self._use(new_master_key, new_epoch)
        return len(rows)

    def _adopt(self, given: str) -> int:
        """The epoch of the master key with fingerprint `given`; the first key of an empty vault is epoch 1."""
        current_sql = "SELECT epoch, fingerprint FROM vault_master WHERE retired_at IS NULL"
        with self.store.transaction() as tx:
            current = tx.one(current_sql)
            if current is None:
                tx.execute("INSERT INTO vault_master (epoch, fingerprint, created_at) VALUES (1, ?, ?) "
                           "ON CONFLICT (epoch) DO NOTHING", (given, _iso(self.clock.now())))
                current = tx.one(current_sql)
            assert current is not None
            if current["fingerprint"] == given:
                return int(current["epoch"])
            retired = tx.one("SELECT epoch, retired_at FROM vault_master WHERE fingerprint = ?", (given,))
        expected = f"epoch {current['epoch']}, fingerprint {current['fingerprint']}"
        if retired is not None:
            raise MasterKeyMismatch(
                f"the vault master key given (fingerprint {given}) was retired by a rotation at "
                f"{retired['retired_at']}; the vault opens only with the current key ({expected}). Give every "
                "Angeli process the new key (ANGELI_VAULT_KEY, ANGELI_VAULT_KEY_FILE or var/secrets/vault_key) "
                "and restart it.", current["fingerprint"])
        raise MasterKeyMismatch(
            f"the vault master key given (fingerprint {given}) is not the key that wrapped the person keys "
            f"({expected}); check that ANGELI_VAULT_KEY, ANGELI_VAULT_KEY_FILE or var/secrets/vault_key holds "
            "this installation's key.", current["fingerprint"])

    def hold(self, tx: Tx, lock: str | None = None) -> None:
        """Refuse to write under a retired epoch; on PostgreSQL hold the epoch (shared) until commit."""
        if lock is None:
            lock = " FOR SHARE" if self.store.dialect == "postgres" else ""
        row = tx.one(f"SELECT fingerprint, retired_at FROM vault_master WHERE epoch = ?{lock}", (self._epoch,))
        if row is None or row["retired_at"] is not None:
            raise self._rotated()

    def wrap(self, key: bytes, pid: str) -> str:
        return seal(self._master, key, wrapping(pid, self._epoch))

    def unwrap(self, row: Row, pid: str) -> bytes:
        if int(row["epoch"]) != self._epoch:
            raise self._rotated()
        return unseal(self._master, row["wrapped_key"], wrapping(pid, self._epoch))

    def _rotated(self) -> MasterKeyMismatch:
        current = self.store.one("SELECT epoch, fingerprint FROM vault_master WHERE retired_at IS NULL")
        assert current is not None
        return MasterKeyMismatch(
            f"the vault master key was rotated to epoch {current['epoch']} after this process started with "
            f"epoch {self._epoch}; restart it with the new key", current["fingerprint"])


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def wrapping(person_id: str, epoch: int) -> str:
    # A wrapped key names its person and its epoch: it cannot be moved to another person or relabelled.
    return f"{person_id}@{epoch}"


def seal(cipher: AESGCM, plaintext: bytes, bound_to: str) -> str:
    nonce = os.urandom(12)
    # Bound as associated data: a sealed value cannot be moved to another person (or epoch).
    return (nonce + cipher.encrypt(nonce, plaintext, bound_to.encode())).hex()


def unseal(cipher: AESGCM, sealed: str, bound_to: str) -> bytes:
    raw = bytes.fromhex(sealed)
    return cipher.decrypt(raw[:12], raw[12:], bound_to.encode())
