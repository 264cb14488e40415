"""Settings are read once from the environment and fail fast with the variable's name."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.kernel.clock import ShiftedClock
from services.kernel.settings import Settings, SettingsError


def test_embedded_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.mode, settings.port, settings.distributed, settings.clock_start) == ("embedded", 8000, False, None)


@pytest.mark.parametrize(("env", "message"), [
    ({"ANGELI_MODE": "cluster"}, "ANGELI_MODE must be 'embedded' or 'distributed'"),
    ({"ANGELI_PORT": "eighty"}, "ANGELI_PORT must be a whole number"),
    ({"ANGELI_PG_PORT": "70000"}, "ANGELI_PG_PORT must be between 1 and 65535"),
    ({"ANGELI_FEED_INTERVAL": "0"}, "ANGELI_FEED_INTERVAL must be between"),
    ({"ANGELI_RUN_FEEDS": "maybe"}, "ANGELI_RUN_FEEDS must be true or false"),
    ({"ANGELI_CLOCK_START": "2026-11-23T10:00"}, "must include a UTC offset"),
    ({"ANGELI_CLOCK_START": "Monday"}, "must be an ISO date-time"),
])
def test_bad_values_are_refused_naming_the_variable(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        Settings.from_env(env)


def test_a_training_clock_starts_where_asked_and_runs_on() -> None:
    start = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    clock = ShiftedClock(Settings.from_env({"ANGELI_CLOCK_START": start.isoformat()}).clock_start or start)
    first = clock.now()
    assert abs(first - start) < timedelta(seconds=1)
    assert clock.now() >= first
