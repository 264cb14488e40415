"""The `angeli` command line: run the product and its administrative commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from services.kernel.settings import Settings, SettingsError
from services.processes import add_commands as add_process_commands


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
    result: int = args.command(settings, args)
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
    run.set_defaults(command=_run)
    add_process_commands(commands)
    return parser


def _run(settings: Settings, args: argparse.Namespace) -> int:
    import uvicorn

    uvicorn.run(
        "services.main:create_app", factory=True,
        host=args.host or settings.host, port=args.port or settings.port, log_level="info",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
