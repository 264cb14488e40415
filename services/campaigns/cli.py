"""`angeli contacts import CAMPAIGN_ID FILE.csv` and `angeli register import FILE --checked-on DATE`."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from services.campaigns.main import build
from services.kernel.clock import SystemClock, plausible_date
from services.kernel.errors import DomainError
from services.kernel.settings import Settings
from services.privacy.main import open_vault


def add_commands(commands: Any) -> None:
    contacts = commands.add_parser("contacts", help="campaign contact lists").add_subparsers(
        title="contacts commands", metavar="CONTACTS_COMMAND")
    load = contacts.add_parser(
        "import", help="import a donor CSV into a campaign, printing progress",
        description="Import donors (UTF-8 with or without BOM, ',' or ';', a header naming at least a phone "
        "column: telefono/phone; optional nome, cognome, email, comune, orari). Each stored contact's id is "
        "printed with its line; invalid rows are printed with line and reason and skipped; duplicates are "
        "merged. Exit 0 when all rows were valid, 1 when some were reported, 2 when the file or campaign was "
        "refused (nothing stored).")
    load.add_argument("campaign_id", type=UUID, help="the campaign's id")
    load.add_argument("file", type=Path, help="the CSV file")
    load.set_defaults(command=_import_contacts)
    register = commands.add_parser("register", help="national opposition register").add_subparsers(
        title="register commands", metavar="REGISTER_COMMAND")
    check = register.add_parser(
        "import", help="import the opposition register's matched numbers with the date of the check",
        description="Import a register check (CSV with a phone column): listed numbers are never offered "
        "without later consent; numbers listed before and absent now are freed. Campaigns need a check "
        "younger than the policy limit (15 days) to launch and to offer contacts.")
    check.add_argument("file", type=Path, help="the CSV file")
    check.add_argument("--checked-on", type=_day, required=True, help="YYYY-MM-DD of the check")
    check.set_defaults(command=_import_register)


def _service(settings: Settings) -> Any:
    return build(settings, SystemClock(), open_vault(settings)).application


def _progress(done: int, total: int) -> None:
    print(f"\r{done}/{total} rows", end="", file=sys.stderr, flush=True)


def _import_contacts(settings: Settings, args: argparse.Namespace) -> int:
    application = _service(settings)
    try:
        with args.file.open("rb") as binary:
            report = application.import_contacts(args.campaign_id, binary, _progress)
    except DomainError as error:
        print(f"angeli: {args.file}: {error.message}", file=sys.stderr)
        return 2
    finally:
        application.close()
    print(f"\n{report.imported} imported, {report.merged} merged, {report.invalid} invalid of {report.rows} rows")
    for line, contact_id in report.contacts:
        print(f"line {line}: contact {contact_id}")
    for problem in report.problems:
        print(f"line {problem.line}: {problem.reason}")
    return 1 if report.invalid else 0


def _import_register(settings: Settings, args: argparse.Namespace) -> int:
    application = _service(settings)
    try:
        with args.file.open("rb") as binary:
            report = application.import_register(binary, args.checked_on, _progress)
    except DomainError as error:
        print(f"angeli: {args.file}: {error.message}", file=sys.stderr)
        return 2
    finally:
        application.close()
    print(f"\nregister checked on {report.checked_on}: {report.listed} listed, {report.cleared} freed, "
          f"{report.invalid} invalid")
    for problem in report.problems:
        print(f"line {problem.line}: {problem.reason}")
    return 1 if report.invalid else 0


def _day(text: str) -> date:
    """A YYYY-MM-DD date between 1900 and 2199 (argparse reports the ValueError as an invalid value)."""
    return plausible_date(date.fromisoformat(text))
