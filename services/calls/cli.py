"""`angeli directory import [--check] FILE.csv`: the directory import command from the shell."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from services.calls import indexes
from services.calls.application import CallsApplication
from services.calls.main import SOURCE, build
from services.kernel.clock import SystemClock
from services.kernel.errors import DomainError
from services.kernel.eventstore import event_store_env
from services.kernel.settings import Settings
from services.privacy.main import open_vault


def add_commands(commands: Any) -> None:
    # `angeli calls backfill`: the indexes' backfill (services.calls.indexes).
    calls = commands.add_parser("calls", help="calls service administration").add_subparsers(
        title="calls commands", metavar="CALLS_COMMAND")
    backfill = calls.add_parser(
        "backfill", help="put shifts, calls and protocols stored before their indexes on them",
        description="Read the calls service's stored events and add every live shift to its role's rota, every "
        "call to its volunteer's call log of the month and every protocol to the protocol index, where they are "
        "missing (data stored by versions before these indexes: otherwise absent from GET /shifts, the coverage, "
        "GET /calls, the helpline's resume and GET /protocols). Items already indexed are skipped: running it "
        "again changes nothing. It runs by itself once at the first start of a store that needs it; safe while "
        "the product runs.")
    backfill.set_defaults(command=_backfill)
    directory = commands.add_parser("directory", help="useful numbers per municipality").add_subparsers(
        title="directory commands", metavar="DIRECTORY_COMMAND")
    load = directory.add_parser(
        "import", help="import a CSV of istat_code, municipality, category, number",
        description="Import useful numbers (UTF-8, comma or semicolon, first line naming the columns). "
        "Valid rows are added in one transaction; each bad row is printed with its line and reason. "
        "Exit 0 when every row was valid, 1 when some were reported, 2 when the file is unreadable.",
    )
    load.add_argument("file", type=Path, help="the CSV file")
    load.add_argument("--check", action="store_true",
                      help="report what the import would do, line by line, and store nothing")
    load.set_defaults(command=_import)


def _import(settings: Settings, args: argparse.Namespace) -> int:
    vault = open_vault(settings)
    calls = build(settings, SystemClock(), vault).application
    assert isinstance(calls, CallsApplication)
    try:
        raw = args.file.read_bytes()
        report = calls.preview_directory_import(raw) if args.check else calls.import_directory(raw)
    except DomainError as error:
        print(f"angeli: {args.file}: {error.message}")
        return 2
    finally:
        calls.close()
        vault.store.close()
    if args.check:
        for line in report.lines:
            print(f"{args.file}:{line.line}: {'would be imported' if line.outcome == 'imported' else line.outcome}"
                  + (f": {line.reason}" if line.reason else f": {line.municipality}, {line.category}, {line.number}"))
        print(f"checked, nothing stored: {report.numbers_added} numbers to add, {report.already_listed} already "
              f"listed, {report.municipalities_listed} new municipalities, {len(report.errors)} lines rejected")
        return 1 if report.errors else 0
    print(f"{report.numbers_added} numbers added, {report.already_listed} already listed, "
          f"{report.municipalities_listed} new municipalities")
    for row in report.errors:
        print(f"{args.file}:{row.line}: {row.reason}")
    return 1 if report.errors else 0


def _backfill(settings: Settings, _args: argparse.Namespace) -> int:
    vault = open_vault(settings)
    # Not through the service's build, which would run the backfill once itself before this command could report it.
    calls = CallsApplication(event_store_env(settings, SOURCE), vault=vault, clock=SystemClock())
    try:
        done = indexes.backfill_and_record(calls)
    finally:
        calls.close()
        vault.store.close()
    print(f"{done.shifts_placed} shifts placed on their rota, {done.calls_logged} calls added to their call log, "
          f"{done.protocols_listed} protocols added to the protocol index")
    return 0
