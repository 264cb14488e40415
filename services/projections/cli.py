"""`angeli ledger verify`: the donation ledger checked against the donation events from the shell."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from services.kernel.settings import Settings
from services.privacy.main import open_vault
from services.projections.ledger import partitions_of, signing_key
from services.projections.ledger_audit import SignedHead, verify
from services.projections.main import build, source_feed


def add_commands(commands: Any) -> None:
    ledger = commands.add_parser("ledger", help="donation ledger administration").add_subparsers(
        title="ledger commands", metavar="LEDGER_COMMAND")
    check = ledger.add_parser(
        "verify", help="rebuild the ledger from the donation events and compare it with the stored one",
        description="Replay the donation event store, recompute every hash, compare with the stored ledger "
        "(and a published signed head). Exit 0 when identical, 1 with each difference and its sequence.",
    )
    check.add_argument("--head", help="JSON file of a published signed head (from GET /ledger/head)")
    check.add_argument("--public-key", help="hex Ed25519 public key (default: derived from the signing key)")
    check.set_defaults(command=_verify)


def _verify(settings: Settings, args: argparse.Namespace) -> int:
    # As every process of Angeli: a master key that does not open the vault is refused (exit 2) before any work.
    vault = open_vault(settings)
    read_stores, donations = build(settings), source_feed(settings, "donations")
    try:
        key = (Ed25519PublicKey.from_public_bytes(bytes.fromhex(args.public_key)) if args.public_key
               else signing_key(settings).public_key())
        published = SignedHead.from_json(json.loads(Path(args.head).read_text())) if args.head else None
        report = verify(donations, read_stores["ledger"], key, partitions_of(settings), published)
    finally:
        donations.application.close()
        read_stores.close()
        vault.store.close()
        vault.trail.close()
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1
