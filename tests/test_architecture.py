"""The architecture is a test: services import only themselves, the kernel and each other's published `contract`;
domains import no I/O."""

from __future__ import annotations

import ast
from pathlib import Path

SERVICES = Path(__file__).resolve().parent.parent / "services"
DOMAIN_SERVICES = ("calls", "campaigns", "donations", "projections", "console")
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


def test_each_service_imports_only_itself_and_the_kernel() -> None:
    """Of another service, only its `contract` module: the published language of its messages."""
    offences = []
    for service in DOMAIN_SERVICES:
        for path in service_files(service):
            for name in modules_of(path):
                parts = name.split(".")
                allowed = (service == "console" and name in CONSOLE_READS) or parts[2:] == ["contract"]
                if parts[0] == "services" and len(parts) > 1 and parts[1] not in (service, "kernel") and not allowed:
                    offences.append(f"{path.relative_to(SERVICES)} imports {name}")
    assert offences == []


def test_a_contract_imports_nothing_of_the_product() -> None:
    """A published language stands alone: importing it brings in no other module of its service."""
    contracts = sorted(SERVICES.glob("*/contract.py"))
    assert contracts, "the calls service publishes its contract"
    offences = [f"{path.relative_to(SERVICES)} imports {name}" for path in contracts for name in imports_of(path)
                if name.split(".")[0] == "services"]
    assert offences == []


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
    domains = [p for s in DOMAIN_SERVICES for p in service_files(s) if "domain" in p.parts or p.stem == "domain"]
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
