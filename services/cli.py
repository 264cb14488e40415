"""The `angeli` command line: run the product and its administrative commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.calls.cli import add_commands as add_calls_commands
from services.campaigns.cli import add_commands as add_campaigns_commands
from services.demo import add_commands as add_demo_commands
from services.identity.cli import add_commands as add_admin_commands
from services.kernel.settings import Settings, SettingsError
from services.privacy.cli import add_commands as add_vault_commands
from services.privacy.domain import MasterKeyMismatch
from services.processes import add_commands as add_process_commands
from services.processes import serve_http


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "command"):
        parser.print_help()
        return 2
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"angeli: configuration error: {error}", file=sys.stderr)
        return 2
    try:
        result: int = args.command(settings, args)
    except MasterKeyMismatch as mismatch:
        print(f"angeli: cannot open the privacy vault: {mismatch}", file=sys.stderr)
        return 2
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="angeli",
        description="Angeli: the backend of a volunteer-run contact centre for charities. "
        "Configuration comes from ANGELI_* environment variables (see README).",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    run = commands.add_parser(
        "run", help="serve the whole product (API, feeds, jobs) in one process",
        description="Serve every service, projection and scheduled job in one process at "
        "ANGELI_HOST:ANGELI_PORT (default 127.0.0.1:8000). Embedded mode keeps its data under "
        "ANGELI_DATA_DIR (default ./var); distributed mode uses PostgreSQL and Kafka.",
    )
    run.add_argument("--host", help="address to bind (default ANGELI_HOST or 127.0.0.1)")
    run.add_argument("--port", type=int, help="port to bind (default ANGELI_PORT or 8000)")
    run.set_defaults(command=serve_http)
    add_process_commands(commands)
    add_admin_commands(commands)
    add_vault_commands(commands)
    add_calls_commands(commands)
    add_campaigns_commands(commands)
    add_demo_commands(commands)
    ledger = commands.add_parser("ledger", help="donation ledger administration").add_subparsers(
        title="ledger commands", metavar="LEDGER_COMMAND")
    verify = ledger.add_parser(
        "verify", help="rebuild the ledger from the donation events and compare it with the stored one",
        description="Replay the donation event store, recompute every hash, compare with the stored ledger "
        "(and a published signed head). Exit 0 when identical, 1 with each difference and its sequence.",
    )
    verify.add_argument("--head", help="JSON file of a published signed head (from GET /ledger/head)")
    verify.add_argument("--public-key", help="hex Ed25519 public key (default: derived from the signing key)")
    verify.set_defaults(command=_ledger_verify)
    return parser


def _ledger_verify(settings: Settings, args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    from services.main import build
    from services.projections.ledger import partitions_of, signing_key
    from services.projections.ledger_audit import SignedHead, verify

    product = build(settings)
    try:
        key = (Ed25519PublicKey.from_public_bytes(bytes.fromhex(args.public_key)) if args.public_key
               else signing_key(settings).public_key())
        published = SignedHead.from_json(json.loads(Path(args.head).read_text())) if args.head else None
        report = verify(product.feeds["donations"], product.read_stores["ledger"], key,
                        partitions_of(settings), published)
    finally:
        product.stop()
    for line in report.lines():
        print(line)
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
