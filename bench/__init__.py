"""Benchmarks: plain scripts that print their figures (see each module's docstring)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from services.kernel.settings import PostgresSettings, Settings
from tests.conftest import (
    create_database,
    delete_scratch,
    drop_database,
    kafka_bootstrap,
    scratch_database_name,
    scratch_names,
    scratch_prefix,
)


@contextmanager
def scratch_database(prefix: str = "angeli_bench") -> Iterator[PostgresSettings]:
    """A database of its own on the scripts' PostgreSQL for one benchmark run, dropped afterwards."""
    admin = Settings.from_env().postgres
    postgres = create_database(admin, scratch_database_name(prefix))
    try:
        yield postgres
    finally:
        drop_database(admin, postgres.dbname)


@contextmanager
def scratch_topics(kind: str) -> Iterator[str]:
    """A topic prefix of its own on the scripts' Kafka for one benchmark run; its topics and consumer groups go
    afterwards."""
    prefix = scratch_prefix(kind)
    try:
        yield prefix
    finally:
        delete_scratch(kafka_bootstrap(), scratch_names(prefix))
