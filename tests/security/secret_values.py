"""Known secret values for the "never logged" tests, and every form in which a leak could show them."""

from __future__ import annotations

import base64
from pathlib import Path

# Printable 32-byte keys, so the raw bytes are searchable as text too.
VAULT_KEY = b"VAULT-natale-2026-chiave-maestra"
LEDGER_SIGNING_KEY = b"LEDGER-firma-del-registro-2026!!"
PERSON_KEY = b"PERSON-chiave-per-i-numeri-2026!"
PG_PASSWORD = "Pg segreto 'Natale' 2026"  # a space and quotes: it must survive the conninfo intact
ADMIN_EMAIL = "anna@angeli.example"
ADMIN_PASSWORD = "Anna-password-segretissima-2026"
WRONG_PASSWORD = "Forse-era-questa-password-2026"
TOO_LONG_PASSWORD = "Troppo-lunga-" + "x" * 1100


def b64(key: bytes) -> str:
    return base64.b64encode(key).decode()


def key_environment(tmp_path: Path) -> dict[str, str]:
    """The three keys given both ways the product reads them: a variable, and a *_FILE file."""
    signing = tmp_path / "ledger_signing_key"
    signing.write_text(b64(LEDGER_SIGNING_KEY) + "\n")
    signing.chmod(0o600)
    return {"ANGELI_VAULT_KEY": b64(VAULT_KEY), "ANGELI_LEDGER_SIGNING_KEY_FILE": str(signing),
            "ANGELI_PERSON_KEY": b64(PERSON_KEY)}


def forms(secret: str | bytes) -> set[str]:
    """The secret as text, hex (both cases), base64 (standard, URL-safe, unpadded) and its repr."""
    raw = secret.encode() if isinstance(secret, str) else secret
    encoded = {raw.hex(), raw.hex().upper(), base64.b64encode(raw).decode(), base64.urlsafe_b64encode(raw).decode()}
    found = encoded | {e.rstrip("=") for e in encoded} | {repr(raw)[2:-1]}
    if isinstance(secret, str):
        found.add(secret)
    return {f for f in found if len(f) >= 8}


def leaks(text: str, secrets: dict[str, str | bytes]) -> list[str]:
    """Which named secrets appear in `text`, in any of their forms."""
    return sorted(name for name, value in secrets.items() if any(form in text for form in forms(value)))
