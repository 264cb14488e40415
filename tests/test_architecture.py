"""The architecture is a test: each room imports only the rooms beneath it, and of another domain service only its
published `contract`; domains import no I/O.

    kernel                       plumbing, names no domain
    identity      -> kernel      who acts, with which role
    privacy       -> identity    the vault and its access trail
    domain services -> privacy, identity, kernel, themselves, another service's `contract` (the console also reads
                       the projections' door)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "services"
DOMAIN_SERVICES = ("calls", "campaigns", "donations", "projections", "console", "mail")
# The rooms every domain service may enter, and what each of them may enter in turn.
SHARED_ROOMS: dict[str, tuple[str, ...]] = {"kernel": (), "identity": ("kernel",), "privacy": ("kernel", "identity")}
# Words of the domain the kernel's identifiers never contain (the kernel is the plumbing of every service).
DOMAIN_WORDS = {
    "role", "roles", "volunteer", "volunteers", "donor", "donors", "person", "persons", "people", "consent",
    "consents", "account", "accounts", "vault", "campaign", "campaigns", "pledge", "pledges", "donation",
    "donations", "fund", "funds", "identity", "privacy", "actor", "ledger", "shift", "shifts", "contact", "contacts",
}
# The one door between rooms: the console reads these queries of the read side. The public transparency page is
# rendered whole on the server from the read models (it works without JavaScript), and the spreadsheet export
# writes the projections' hours in a reader's language. Everything else the pages show they fetch as JSON.
CONSOLE_READS = {
    "services.projections.catalogue", "services.projections.ledger", "services.projections.transparency",
    "services.projections.ledger_api", "services.projections.console_api",
}
IO_LIBRARIES = {
    "sqlite3", "psycopg", "psycopg_pool", "confluent_kafka", "fastapi", "starlette", "httpx", "requests",
    "socket", "os", "subprocess", "apscheduler", "uvicorn", "urllib", "pathlib",
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules_of(path: Path) -> set[str]:
    """Like `imports_of`, but `from services.projections import ledger` names the module it brings in."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            package = SERVICES.parent / node.module.replace(".", "/")
            names.update(f"{node.module}.{a.name}" if (package / f"{a.name}.py").exists() or (package / a.name).is_dir()
                         else node.module for a in node.names)
    return names


def service_files(service: str) -> list[Path]:
    return sorted((SERVICES / service).rglob("*.py"))


def rooms_entered(service: str) -> list[str]:
    """`path imports name` for each import of `service` leaving its own room."""
    return [f"{path.relative_to(SERVICES)} imports {name}"
            for path in service_files(service) for name in modules_of(path)
            if name.split(".")[0] == "services" and name.split(".")[1:2] != [service]]


def room_of(entry: str) -> str:
    return entry.rsplit(" imports ", 1)[1].split(".")[1]


def test_each_service_imports_only_itself_the_shared_rooms_and_published_contracts() -> None:
    """Of another domain service, only its `contract` module: the published language of its messages."""
    offences = [entry for service in DOMAIN_SERVICES for entry in rooms_entered(service)
                if room_of(entry) not in SHARED_ROOMS
                and entry.rsplit(" imports ", 1)[1].split(".")[2:] != ["contract"]
                and not (entry.startswith("console/") and entry.rsplit(" imports ", 1)[1] in CONSOLE_READS)]
    assert offences == []


def test_a_contract_imports_nothing_of_the_product() -> None:
    """A published language stands alone: importing it brings in no other module of its service."""
    contracts = sorted(SERVICES.glob("*/contract.py"))
    assert contracts, "the calls service publishes its contract"
    offences = [f"{path.relative_to(SERVICES)} imports {name}" for path in contracts for name in imports_of(path)
                if name.split(".")[0] == "services"]
    assert offences == []


def test_identity_imports_only_the_kernel_and_privacy_only_the_kernel_and_identity() -> None:
    offences = [entry for room, below in SHARED_ROOMS.items() for entry in rooms_entered(room)
                if room_of(entry) not in below]
    assert offences == []


def test_the_kernel_names_no_domain_concept() -> None:
    """Identifiers only (names, attributes, arguments, definitions), split into words: `attempts_per_account` names
    an account, `recall` names no call."""
    offences = []
    for path in service_files("kernel"):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            for name in identifiers(node):
                words = {w.lower() for w in re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+", name)}
                if words & DOMAIN_WORDS:
                    offences.append(f"{path.relative_to(SERVICES)}:{getattr(node, 'lineno', '?')} {name}")
    assert offences == []


def identifiers(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [node.attr]
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [node.name]
    if isinstance(node, ast.arg):
        return [node.arg]
    if isinstance(node, ast.alias):
        return [node.asname or node.name]
    if isinstance(node, ast.keyword) and node.arg:
        return [node.arg]
    return []


def test_the_console_is_its_own_room_reached_only_from_the_composition_root() -> None:
    importers = sorted(
        str(path.relative_to(SERVICES))
        for path in SERVICES.rglob("*.py")
        if "console" not in path.relative_to(SERVICES).parts
        for name in imports_of(path)
        if name == "services.console" or name.startswith("services.console.")
    )
    assert importers == ["main.py"]


def test_the_kernel_knows_no_domain() -> None:
    offences = [
        f"{path.relative_to(SERVICES)} imports {name}"
        for path in service_files("kernel")
        for name in imports_of(path)
        if name.split(".")[0] == "services" and name.split(".")[1:2] != ["kernel"]
    ]
    assert offences == []


def test_domain_modules_import_no_io_library() -> None:
    domains = [p for s in (*DOMAIN_SERVICES, "identity", "privacy") for p in service_files(s)
               if "domain" in p.parts or p.stem == "domain"]
    assert domains, "every write service has a domain module"
    offences = [
        f"{path.relative_to(SERVICES)} imports {name}"
        for path in domains
        for name in imports_of(path)
        if name.split(".")[0] in IO_LIBRARIES
    ]
    assert offences == []


def test_no_catch_all_modules() -> None:
    forbidden = {"utils.py", "helpers.py", "common.py", "base.py"}
    assert [p for p in SERVICES.rglob("*.py") if p.name in forbidden] == []
