"""Master-key rotation: after an erasure and a rotation, a wrapped key kept in a backup opens no more."""

from __future__ import annotations

import base64
import os
import shutil
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from services import cli
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.clock import FixedClock
from services.kernel.errors import InvalidInput
from services.kernel.readmodel import PostgresStore, ReadStore, SqliteStore
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from services.privacy.domain import MasterKeyMismatch
from services.privacy.keys import staged, write_new
from services.privacy.main import open_vault
from tests.security.conftest import GIULIA, MARCO

GIULIA_DATA = {"name": "Giulia Rossi", "phone": "+39 02 1234 5678"}
MARCO_DATA = {"name": "Marco Bianchi", "phone": "+39 06 8765 4321"}


def backup_of(store: ReadStore, person: str) -> dict[str, str]:
    """What a database backup holds of one person: the wrapped key, its epoch and the sealed data."""
    row = store.one("SELECT k.epoch, k.wrapped_key, d.sealed FROM vault_keys k JOIN vault_data d"
                    " ON d.person_id = k.person_id WHERE k.person_id = ?", (person,))
    assert row is not None
    return {"epoch": str(row["epoch"]), "wrapped_key": row["wrapped_key"], "sealed": row["sealed"]}


def open_from_backup(copy: dict[str, str], person: str, master_key: bytes) -> bytes:
    """An attacker's attempt on a backup: unwrap the person key with `master_key`, then open the data."""
    wrapped = bytes.fromhex(copy["wrapped_key"])
    person_key = AESGCM(master_key).decrypt(wrapped[:12], wrapped[12:], f"{person}@{copy['epoch']}".encode())
    sealed = bytes.fromhex(copy["sealed"])
    return AESGCM(person_key).decrypt(sealed[:12], sealed[12:], person.encode())


def test_after_erasure_and_rotation_a_backed_up_key_cannot_be_opened_while_everyone_else_reads(
    tmp_path: Path, clock: FixedClock,
) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    vault = PrivacyVault(SqliteStore(str(tmp_path / "vault.db")), old_key, clock)
    vault.put(GIULIA, GIULIA_DATA)
    vault.put(MARCO, MARCO_DATA)
    backup = backup_of(vault.store, str(GIULIA))
    assert b"Giulia Rossi" in open_from_backup(backup, str(GIULIA), old_key)  # the threat is real
    vault.erase(GIULIA, clock.now(), "account:anna@angeli.example", "Giulia asked on 20 November")

    assert vault.rotate(new_key) == 1  # Marco's key, re-wrapped
    with pytest.raises(InvalidTag):
        open_from_backup(backup, str(GIULIA), new_key)
    with pytest.raises(InvalidTag):
        open_from_backup({**backup, "epoch": "2"}, str(GIULIA), new_key)
    assert vault.epoch == 2 and backup_of(vault.store, str(MARCO))["epoch"] == "2"
    assert vault.get(MARCO, SYSTEM_ACCESS) == MARCO_DATA
    vault.put(MARCO, {**MARCO_DATA, "email": "marco@example.org"})
    reopened = PrivacyVault(vault.store, new_key, clock)
    assert reopened.get(MARCO, SYSTEM_ACCESS, fields=("email",)) == {"email": "marco@example.org"}


def test_a_retired_or_unknown_master_key_is_refused_with_what_to_do(tmp_path: Path, clock: FixedClock) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    path = str(tmp_path / "vault.db")
    rotating = PrivacyVault(SqliteStore(path), old_key, clock)
    rotating.put(MARCO, MARCO_DATA)
    still_running = PrivacyVault(SqliteStore(path), old_key, clock)  # a process started before the rotation
    rotating.rotate(new_key)

    with pytest.raises(MasterKeyMismatch, match=r"rotated to epoch 2 after this process started .* restart it"):
        still_running.get(MARCO, SYSTEM_ACCESS)
    with pytest.raises(MasterKeyMismatch, match="rotated to epoch 2"):
        still_running.put(GIULIA, GIULIA_DATA)
    with pytest.raises(MasterKeyMismatch, match="was retired by a rotation"):
        PrivacyVault(SqliteStore(path), old_key, clock)
    with pytest.raises(MasterKeyMismatch, match="is not the key that wrapped the person keys"):
        PrivacyVault(SqliteStore(path), os.urandom(32), clock)
    with pytest.raises(InvalidInput, match="must differ"):
        rotating.rotate(new_key)
    assert rotating.store.one("SELECT COUNT(*) AS n FROM vault_keys") == {"n": 1}  # Giulia was not stored


def test_angeli_vault_rotate_key_replaces_the_key_file_and_an_old_backup_no_longer_opens(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir = tmp_path / "var"
    monkeypatch.setenv("ANGELI_DATA_DIR", str(data_dir))
    settings = Settings.from_env()
    vault = open_vault(settings)
    vault.put(GIULIA, GIULIA_DATA)
    vault.put(MARCO, MARCO_DATA)
    vault.store.close()
    backup = tmp_path / "backup"
    backup.mkdir()
    for file in data_dir.glob("vault.db*"):
        shutil.copy(file, backup / file.name)  # last night's backup, erased person included
    key_file = data_dir / "secrets" / "vault_key"
    old_key_text = key_file.read_text()
    vault = open_vault(settings)
    vault.erase(GIULIA, vault.clock.now(), "account:anna@angeli.example", "Giulia asked on 20 November")
    vault.store.close()
    vault.trail.close()

    assert cli.main(["vault", "rotate-key"]) == 0
    out = capsys.readouterr().out
    assert "epoch 1 -> 2" in out and "1 person keys re-wrapped" in out and "restart every Angeli process" in out
    new_key = base64.b64decode(key_file.read_text())
    assert key_file.read_text() != old_key_text and not staged(key_file).exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    with pytest.raises(MasterKeyMismatch):
        PrivacyVault(SqliteStore(str(backup / "vault.db")), new_key)
    with pytest.raises(InvalidTag):
        open_from_backup(backup_of(SqliteStore(str(backup / "vault.db")), str(GIULIA)), str(GIULIA), new_key)
    assert open_vault(settings).get(MARCO, SYSTEM_ACCESS) == MARCO_DATA


def test_rotate_key_help_explains_the_procedure(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        cli.main(["vault", "rotate-key", "--help"])
    assert done.value.code == 0
    assert "backup" in capsys.readouterr().out


def test_a_key_given_in_the_environment_is_rotated_into_a_new_file_with_instructions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    old_key = os.urandom(32)
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("ANGELI_VAULT_KEY", base64.b64encode(old_key).decode())
    vault = open_vault(Settings.from_env())
    vault.put(MARCO, MARCO_DATA)
    vault.store.close()

    assert cli.main(["vault", "rotate-key"]) == 2
    assert "pass --new-key-file" in capsys.readouterr().err
    new_file = tmp_path / "vault_key.new"
    assert cli.main(["vault", "rotate-key", "--new-key-file", str(new_file)]) == 0
    out = capsys.readouterr().out
    assert f"ANGELI_VAULT_KEY_FILE={new_file}" in out and "the ANGELI_VAULT_KEY value" in out
    assert stat.S_IMODE(new_file.stat().st_mode) == 0o600
    assert cli.main(["ledger", "verify"]) == 2  # the old key still in the environment: a clear refusal
    assert "cannot open the privacy vault: the vault master key given" in capsys.readouterr().err
    monkeypatch.delenv("ANGELI_VAULT_KEY")
    monkeypatch.setenv("ANGELI_VAULT_KEY_FILE", str(new_file))
    assert open_vault(Settings.from_env()).get(MARCO, SYSTEM_ACCESS) == MARCO_DATA


def test_a_rotation_interrupted_after_its_commit_is_finished_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANGELI_DATA_DIR", str(tmp_path / "var"))
    settings = Settings.from_env()
    vault = open_vault(settings)
    vault.put(MARCO, MARCO_DATA)
    key_file, new_key = settings.data_dir / "secrets" / "vault_key", os.urandom(32)
    write_new(staged(key_file), new_key)
    vault.rotate(new_key)  # ... and the process dies before the key file is replaced
    vault.store.close()

    assert open_vault(settings).get(MARCO, SYSTEM_ACCESS) == MARCO_DATA
    assert base64.b64decode(key_file.read_text()) == new_key and not staged(key_file).exists()


@pytest.mark.postgres
def test_on_postgresql_a_rotation_leaves_backed_up_keys_unopenable_and_old_processes_refused(
    pg_settings: Settings, clock: FixedClock,
) -> None:
    old_key, new_key = os.urandom(32), os.urandom(32)
    store, other = (PostgresStore(pg_settings.postgres.conninfo(), schema="vault") for _ in range(2))
    try:
        vault = PrivacyVault(store, old_key, clock)
        vault.put(GIULIA, GIULIA_DATA)
        vault.put(MARCO, MARCO_DATA)
        backup = backup_of(store, str(GIULIA))  # as a WAL segment or pg_dump would keep it
        still_running = PrivacyVault(other, old_key, clock)
        vault.erase(GIULIA, clock.now(), "account:anna@angeli.example", "Giulia asked on 20 November")
        vault.rotate(new_key)

        with pytest.raises(InvalidTag):
            open_from_backup(backup, str(GIULIA), new_key)
        assert vault.get(MARCO, SYSTEM_ACCESS) == MARCO_DATA
        with pytest.raises(MasterKeyMismatch, match="restart it"):
            still_running.put(GIULIA, {"name": "someone new"})
        with pytest.raises(MasterKeyMismatch, match="was retired"):
            PrivacyVault(other, old_key, clock)
        assert store.one("SELECT epoch, retired_at IS NULL AS current FROM vault_master ORDER BY epoch DESC") == {
            "epoch": 2, "current": True}
    finally:
        store.close()
        other.close()
