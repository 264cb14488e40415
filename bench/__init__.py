"""Benchmarks: plain scripts that print their figures (see each module's docstring)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from services.kernel.settings import PostgresSettings, Settings
from tests.conftest import create_database, drop_database


@contextmanager
def scratch_database(prefix: str = "angeli_bench") -> Iterator[PostgresSettings]:
    """A database of its own on the scripts' PostgreSQL for one benchmark run, dropped afterwards."""
    admin = Settings.from_env().postgres
    postgres = create_database(admin, f"{prefix}_{uuid.uuid4().hex[:8]}")
    try:
        yield postgres
    finally:
        drop_database(admin, postgres.dbname)
