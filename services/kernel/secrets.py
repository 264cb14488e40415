"""Secrets (encryption and signing keys): given in the settings (from the environment: the value or a file), else
generated once under the data folder."""

from __future__ import annotations

import base64
import os
import secrets as random
from pathlib import Path

from services.kernel.settings import Settings, SettingsError


def secret(settings: Settings, name: str, size: int = 32) -> bytes:
    """`ANGELI_<NAME>` (base64) or `ANGELI_<NAME>_FILE`; otherwise `<data_dir>/secrets/<name>`, made 0600."""
    variable, given = f"ANGELI_{name.upper()}", settings.keys
    if given.get(variable):
        return _decode(given[variable], variable, size)
    if given.get(f"{variable}_FILE"):
        path = Path(given[f"{variable}_FILE"])
        return _decode(path.read_text().strip(), f"{variable}_FILE ({path})", size)
    path = settings.data_dir / "secrets" / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(base64.b64encode(random.token_bytes(size)).decode())
    return _decode(path.read_text().strip(), str(path), size)


def _decode(text: str, where: str, size: int) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise SettingsError(f"{where} must hold {size} bytes in base64") from None
    if len(raw) != size:
        raise SettingsError(f"{where} must hold {size} bytes in base64, got {len(raw)} bytes")
    return raw


def secret_file(settings: Settings, name: str) -> Path | None:
    """The file `secret(settings, name)` reads (`ANGELI_<NAME>_FILE` or `<data_dir>/secrets/<name>`);
    None when the value itself is in the environment (`ANGELI_<NAME>`)."""
    variable, given = f"ANGELI_{name.upper()}", settings.keys
    if given.get(variable):
        return None
    if given.get(f"{variable}_FILE"):
        return Path(given[f"{variable}_FILE"])
    return settings.data_dir / "secrets" / name
