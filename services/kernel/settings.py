"""Settings: one frozen value read once from the environment, validated at start-up, embedded defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

Mode = Literal["embedded", "distributed"]


class SettingsError(ValueError):
    """A configuration variable is missing or malformed; the message names it and the accepted values."""


@dataclass(frozen=True)
class PostgresSettings:
    host: str = "127.0.0.1"
    port: int = 5432
    user: str = "angeli"
    password: str = "angeli"
    dbname: str = "angeli"

    def conninfo(self) -> str:
        return (
            f"host={self.host} port={self.port} user={self.user} "
            f"password={self.password} dbname={self.dbname}"
        )


@dataclass(frozen=True)
class Settings:
    mode: Mode = "embedded"
    data_dir: Path = Path("var")
    host: str = "127.0.0.1"
    port: int = 8000
    postgres: PostgresSettings = field(default_factory=PostgresSettings)
    kafka_bootstrap: str = "127.0.0.1:9092"
    kafka_partitions: int = 6
    topic_prefix: str = "angeli"
    feed_interval_seconds: float = 0.2
    # What this process runs beside the API: the feeds (embedded follower, or relays and consumers) and jobs.
    run_feeds: bool = True
    run_jobs: bool = True
    # Training/demo installations may start their clock at a chosen instant (then it runs in real time).
    clock_start: datetime | None = None

    @property
    def distributed(self) -> bool:
        return self.mode == "distributed"

    def topic(self, source: str) -> str:
        return f"{self.topic_prefix}.{source}"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        mode = env.get("ANGELI_MODE", "embedded")
        if mode not in ("embedded", "distributed"):
            raise SettingsError(f"ANGELI_MODE must be 'embedded' or 'distributed', got {mode!r}")
        postgres = PostgresSettings(
            host=env.get("ANGELI_PG_HOST", "127.0.0.1"),
            port=_int(env, "ANGELI_PG_PORT", 5432, low=1, high=65535),
            user=env.get("ANGELI_PG_USER", "angeli"),
            password=env.get("ANGELI_PG_PASSWORD", "angeli"),
            dbname=env.get("ANGELI_PG_DB", "angeli"),
        )
        return cls(
            mode=mode,  # type: ignore[arg-type]  # checked just above
            data_dir=Path(env.get("ANGELI_DATA_DIR", "var")),
            host=env.get("ANGELI_HOST", "127.0.0.1"),
            port=_int(env, "ANGELI_PORT", 8000, low=1, high=65535),
            postgres=postgres,
            kafka_bootstrap=env.get("ANGELI_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            kafka_partitions=_int(env, "ANGELI_KAFKA_PARTITIONS", 6, low=1, high=1000),
            topic_prefix=env.get("ANGELI_TOPIC_PREFIX", "angeli"),
            feed_interval_seconds=_float(env, "ANGELI_FEED_INTERVAL", 0.2, low=0.01, high=60.0),
            run_feeds=_bool(env, "ANGELI_RUN_FEEDS", True),
            run_jobs=_bool(env, "ANGELI_RUN_JOBS", True),
            clock_start=_instant(env, "ANGELI_CLOCK_START"),
        )


def _int(env: Mapping[str, str], name: str, default: int, *, low: int, high: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low} and {high}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _instant(env: Mapping[str, str], name: str) -> datetime | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(raw)
    except ValueError:
        raise SettingsError(f"{name} must be an ISO date-time with offset, e.g. 2026-11-23T10:00:00+01:00; "
                            f"got {raw!r}") from None
    if value.tzinfo is None:
        raise SettingsError(f"{name} must include a UTC offset, e.g. 2026-11-23T10:00:00+01:00; got {raw!r}")
    return value
