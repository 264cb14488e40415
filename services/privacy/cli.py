"""`angeli vault rotate-key`: re-wrap every person key under a new master key and destroy the old key."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from services.kernel.secrets import secret_file
from services.kernel.settings import Settings
from services.privacy.application import PrivacyVault
from services.privacy.keys import discard, fingerprint, overwrite, staged, write_new
from services.privacy.main import open_vault

DESCRIPTION = (
    "Generate a new vault master key, re-wrap every person key under it in one transaction, and destroy "
    "the old key. Afterwards a person key copied before (a database backup, an old PostgreSQL WAL segment) "
    "needs the old key, which is gone: people erased before the rotation stay unreadable in those copies. "
    "Run it after erasures, before the backup retention ends; stop or restart every Angeli process after. "
    "The new key replaces the old one where it lives: var/secrets/vault_key (embedded default) or the file "
    "named by ANGELI_VAULT_KEY_FILE, overwritten in place. When the key is the value of ANGELI_VAULT_KEY, "
    "this command cannot change it: pass --new-key-file and follow the printed instructions."
)


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    vault = commands.add_parser("vault", help="privacy vault administration").add_subparsers(
        title="vault commands", metavar="VAULT_COMMAND")
    rotate = vault.add_parser("rotate-key", help="re-wrap every person key under a new master key; destroy the "
                              "old key", description=DESCRIPTION)
    rotate.add_argument("--new-key-file", type=Path, metavar="PATH",
                        help="write the new key (base64, mode 0600) to this NEW file instead of replacing the "
                        "current key file; required when the key comes from ANGELI_VAULT_KEY")
    rotate.set_defaults(command=rotate_key)


def rotate_key(settings: Settings, args: argparse.Namespace) -> int:
    current = secret_file(settings, "vault_key")
    chosen: Path | None = args.new_key_file
    if chosen is None and current is None:
        return _refuse("the master key comes from ANGELI_VAULT_KEY, which this command cannot change; pass "
                       "--new-key-file PATH (a file that does not exist yet) to receive the new key")
    if chosen is not None and chosen.exists():
        return _refuse(f"{chosen} already exists; name a new file for the new key")
    vault = open_vault(settings)
    try:
        if chosen is not None:
            staging = chosen
        else:
            assert current is not None
            staging = staged(current)
            discard(staging)  # a staged key left by a rotation that never committed (the vault opened)
        new_key, before = os.urandom(32), vault.epoch
        write_new(staging, new_key)
        try:
            count = vault.rotate(new_key)
        except BaseException:
            if not _committed(vault, new_key):
                discard(staging)
            raise
    finally:
        vault.store.close()
        vault.trail.close()
    print(f"vault master key rotated: epoch {before} -> {vault.epoch} (fingerprint {fingerprint(new_key)}), "
          f"{count} person keys re-wrapped in one transaction.")
    if chosen is None and current is not None:
        overwrite(current, new_key)  # the old key's bytes are overwritten where they were
        staging.unlink()
        print(f"The new key is in {current}; the old key was overwritten there.")
        print(_AFTER.format(where=f"backups of {current}, copies in secret managers or deployment files"))
    else:
        print(f"The new key is in {chosen}. The vault now opens ONLY with it:\n"
              f"  - set ANGELI_VAULT_KEY_FILE={chosen} (and unset ANGELI_VAULT_KEY) for every Angeli process;")
        old = "the ANGELI_VAULT_KEY value" if current is None else f"the old key file {current}"
        print(_AFTER.format(where=f"{old}, its copies in secret managers, deployment files and their backups"))
    return 0


_AFTER = (
    "  - restart every Angeli process (one still holding the old key refuses to read or write the vault);\n"
    "  - destroy every other copy of the old key ({where}): only then are the people erased before this "
    "rotation unreadable in old database backups and WAL archives."
)


def _committed(vault: PrivacyVault, new_key: bytes) -> bool:
    """Whether the rotation committed (a failure after the commit must keep the new key)."""
    try:
        row = vault.store.one("SELECT fingerprint FROM vault_master WHERE retired_at IS NULL")
    except Exception:  # the database is unreachable: keep the staged key, the next start decides
        return True
    return row is not None and row["fingerprint"] == fingerprint(new_key)


def _refuse(message: str) -> int:
    print(f"angeli vault rotate-key: {message}", file=sys.stderr)
    return 2
