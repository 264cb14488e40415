"""The `angeli` command line: run the product and its administrative commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, Protocol

from services import demo, processes
from services.calls import cli as calls
from services.campaigns import cli as campaigns
from services.identity import cli as identity
from services.kernel.settings import Settings, SettingsError
from services.privacy import cli as privacy
from services.privacy.domain import MasterKeyMismatch
from services.processes import serve_http
from services.projections import cli as projections


class Commands(Protocol):
    """A module that adds its sub-commands to the `angeli` parser; each sets `command(settings, args) -> int`."""

    def add_commands(self, commands: Any) -> None: ...


# In the order `angeli --help` lists them.
COMMANDS: tuple[Commands, ...] = (processes, identity, privacy, calls, campaigns, demo, projections)


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
    for module in COMMANDS:
        module.add_commands(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
