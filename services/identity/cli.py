"""`angeli admin create`: how the first administrator gets in (there is no open admin by default)."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from pathlib import Path

from services.identity.domain import Actor, Role
from services.identity.main import build
from services.kernel.clock import SystemClock
from services.kernel.errors import DomainError
from services.kernel.settings import Settings

CLI = Actor(kind="cli", id="cli", name=f"angeli admin create (uid {os.getuid()})", role=Role.ADMINISTRATOR)

HINT = ("no administrator exists yet, so nobody can sign in: create one with `make admin EMAIL=you@example.org` "
        "from the project folder, or `ANGELI_ADMIN_PASSWORD=... angeli admin create --email you@example.org "
        "--password-env ANGELI_ADMIN_PASSWORD` with this process's ANGELI_DATA_DIR")


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = commands.add_parser("admin", help="accounts administration").add_subparsers(
        title="admin commands", metavar="ADMIN_COMMAND")
    create = admin.add_parser(
        "create", help="create an administrator account (the first one, or another)",
        description="Create an administrator who can then sign in (POST /auth/sign-in) and create the other "
        "accounts. The password (at least 12 characters) is read from a file or an environment variable, or "
        "asked for twice on the terminal; never from the command line, so it does not end up in the shell "
        "history or the process list. The account is stored under ANGELI_DATA_DIR (default ./var of the "
        "current folder: run it from the project folder, or use `make admin EMAIL=...`, to reach the data "
        "`make run` uses).",
    )
    create.add_argument("--email", required=True, help="the administrator's e-mail, used to sign in")
    source = create.add_mutually_exclusive_group()
    source.add_argument("--password-file", type=Path, help="file whose first line is the password")
    source.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    create.set_defaults(command=create_administrator)


def create_administrator(settings: Settings, args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return 2
    identity = build(settings, SystemClock())
    try:
        account = identity.create_account(args.email, password, Role.ADMINISTRATOR, CLI)
    except DomainError as error:
        print(f"angeli admin create: {error.message}", file=sys.stderr)
        return 1
    finally:
        identity.store.close()
    where = settings.data_dir.resolve() if settings.mode == "embedded" else "the PostgreSQL database"
    print(f"administrator {account.email} created ({account.account_id}) in {where}; "
          "sign in at /console/login or with POST /auth/sign-in")
    return 0


def _password(args: argparse.Namespace) -> str | None:
    if args.password_env is None and args.password_file is None:
        return _asked_password()
    if args.password_env is not None:
        value = os.environ.get(args.password_env)
        if not value:
            print(f"angeli admin create: environment variable {args.password_env} is empty or unset",
                  file=sys.stderr)
            return None
        return value
    try:
        lines = args.password_file.read_text().splitlines()
    except OSError as error:
        print(f"angeli admin create: cannot read {args.password_file}: {error.strerror}", file=sys.stderr)
        return None
    return lines[0] if lines else ""


def _asked_password() -> str | None:
    """The password typed twice on the terminal; None (after saying why) when there is no terminal to ask on or
    the two differ."""
    if not sys.stdin.isatty():
        print("angeli admin create: give the password with --password-env VAR or --password-file PATH "
              "(there is no terminal to ask on)", file=sys.stderr)
        return None
    first = getpass.getpass("Password (at least 12 characters): ")
    if getpass.getpass("The same password again: ") != first:
        print("angeli admin create: the two passwords differ; nothing was created", file=sys.stderr)
        return None
    return first
