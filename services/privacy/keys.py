"""The vault master key on disk: its public fingerprint, and replacing its file when the key is rotated.

A rotation stages the new key beside the old file (`<file>.next`), commits the re-wrapped person keys,
then writes the new key over the old one in place. If the process dies between the commit and that
write, the next start finds the staged key matching the database and finishes the job.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from pathlib import Path


def fingerprint(key: bytes) -> str:
    """A short public name for a master key (an HMAC of a constant): tells keys apart, reveals nothing."""
    return hmac.new(key, b"angeli vault master key", hashlib.sha256).hexdigest()[:16]


def staged(path: Path) -> Path:
    return path.with_name(path.name + ".next")


def write_new(path: Path, key: bytes) -> None:
    """Create `path` holding `key` in base64, readable by its owner only, durably; never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(base64.b64encode(key).decode())
        file.flush()
        os.fsync(file.fileno())
    _sync_directory(path.parent)


def overwrite(path: Path, key: bytes) -> None:
    """Write `key` over the old key in the same file: every key has the same length, so the old bytes are
    overwritten where they were (on file systems that write in place), not left in a freed block."""
    with path.open("r+") as file:
        file.seek(0)
        file.write(base64.b64encode(key).decode())
        file.truncate()
        file.flush()
        os.fsync(file.fileno())


def finish_interrupted_rotation(path: Path, expected: str) -> bytes | None:
    """The staged key, put in place, when it is the one the vault expects (fingerprint `expected`)."""
    next_key = staged(path)
    if not next_key.exists():
        return None
    try:
        key = base64.b64decode(next_key.read_text().strip(), validate=True)
    except ValueError:
        return None
    if fingerprint(key) != expected:
        return None
    overwrite(path, key)
    next_key.unlink()
    _sync_directory(path.parent)
    return key


def discard(path: Path) -> None:
    """Remove a staged key whose rotation did not commit."""
    if path.exists():
        overwrite(path, os.urandom(32))
        path.unlink()
        _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
