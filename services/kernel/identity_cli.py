"""`angeli admin create`: how the first administrator gets in (there is no open admin by default)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from services.kernel.actor import Actor
from services.kernel.clock import SystemClock
from services.kernel.errors import DomainError
from services.kernel.identity import Identity, Role
from services.kernel.readmodel import open_store
from services.kernel.settings import Settings

CLI = Actor(kind="cli", id="cli", name=f"angeli admin create (uid {os.getuid()})", role=Role.ADMINISTRATOR)

HINT = ("no administrator exists yet, so nobody can sign in: create one with "
        "`ANGELI_ADMIN_PASSWORD=... angeli admin create --email you@example.org --password-env ANGELI_ADMIN_PASSWORD`")


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    admin = commands.add_parser("admin", help="accounts administration").add_subparsers(
        title="admin commands", metavar="ADMIN_COMMAND")
    create = admin.add_parser(
        "create", help="create an administrator account (the first one, or another)",
        description="Create an administrator who can then sign in (POST /auth/sign-in) and create the other "
        "accounts. The password (at least 12 characters) is read from a file or an environment variable, "
        "never from the command line, so it does not end up in the shell history or the process list.",
    )
    create.add_argument("--email", required=True, help="the administrator's e-mail, used to sign in")
    source = create.add_mutually_exclusive_group(required=True)
    source.add_argument("--password-file", type=Path, help="file whose first line is the password")
    source.add_argument("--password-env", metavar="VAR", help="environment variable holding the password")
    create.set_defaults(command=create_administrator)


def create_administrator(settings: Settings, args: argparse.Namespace) -> int:
    password = _password(args)
    if password is None:
        return 2
    store = open_store(settings, "identity")
    try:
        account = Identity(store, SystemClock()).create_account(args.email, password, Role.ADMINISTRATOR, CLI)
    except DomainError as error:
        print(f"angeli admin create: {error.message}", file=sys.stderr)
        return 1
    finally:
        store.close()
    print(f"administrator {account.email} created ({account.account_id}); sign in with POST /auth/sign-in")
    return 0


def _password(args: argparse.Namespace) -> str | None:
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
