"""`angeli contacts import CAMPAIGN_ID FILE.csv` and `angeli register import FILE --checked-on DATE`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from services.campaigns.main import build
from services.kernel.clock import SystemClock
from services.kernel.errors import DomainError
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret
from services.kernel.settings import Settings
from services.kernel.vault import PrivacyVault


def add_commands(commands: Any) -> None:
    contacts = commands.add_parser("contacts", help="campaign contact lists").add_subparsers(
        title="contacts commands", metavar="CONTACTS_COMMAND")
    load = contacts.add_parser(
        "import", help="import a donor CSV into a campaign, printing progress",
        description="Import donors (UTF-8 with or without BOM, ',' or ';', a header naming at least a phone "
        "column: telefono/phone; optional nome, cognome, email, comune, orari). Invalid rows are printed "
        "with line and reason and skipped; duplicates are merged. Exit 0 when all rows were valid, 1 when "
        "some were reported, 2 when the file or campaign was refused (nothing stored).")
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
    check.add_argument("--checked-on", type=date.fromisoformat, required=True, help="YYYY-MM-DD of the check")
    check.set_defaults(command=_import_register)
    campaigns = commands.add_parser("campaigns", help="campaigns administration").add_subparsers(
        title="campaigns commands", metavar="CAMPAIGNS_COMMAND")
    rebuild = campaigns.add_parser(
        "rebuild-queue", help="rebuild the dialer's due-queue index from the campaigns events",
        description="Recompute every row of the due-queue index (contacts, holds, persons, register checks, "
        "campaign states, imports) from the campaigns event store, and who is clocked in from the calls "
        "events, then replace the index in one transaction. Use it when the campaigns_queue store was lost or "
        "damaged. Safe while volunteers dial: the aggregates still decide every lease.")
    rebuild.set_defaults(command=_rebuild_queue)


def _service(settings: Settings) -> Any:
    vault = PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"))
    return build(settings, SystemClock(), vault).application


def _rebuild_queue(settings: Settings, _args: argparse.Namespace) -> int:
    from services.calls.main import build as build_calls
    from services.campaigns.dialer.rebuild import rebuild_queue
    from services.kernel.feed import EventFeed

    application = _service(settings)
    vault = PrivacyVault(open_store(settings, "vault"), secret(settings, "vault_key"))
    calls = build_calls(settings, SystemClock(), vault).application
    try:
        report = rebuild_queue(application, presence=_presence(EventFeed("calls", calls)))
    finally:
        application.close()
        calls.close()
    print(f"due-queue rebuilt from {report.events} events: {report.campaigns} campaigns, {report.contacts} "
          f"contacts, {report.persons} persons, {report.register_checks} register checks, {report.presence} "
          "volunteers' presence")
    return 0


def _presence(feed: Any) -> Iterator[Any]:
    position = 0
    while True:
        messages, last = feed.read(position, types={"Presence.ClockedIn", "Presence.ClockedOut"})
        if last == position:
            return
        yield from messages
        position = last


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
