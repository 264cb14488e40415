"""The ledger's Rome date of an instant, across midnight and both clock changes (the UTC-hour lookup)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.projections.ledger import ROME, rome_date


@pytest.mark.parametrize("start", ["2026-03-28T20:00:00+00:00", "2026-10-24T20:00:00+00:00",
                                   "2026-12-31T21:00:00+00:00"])
def test_every_minute_around_midnight_and_the_clock_changes_gets_rome_s_date(start: str) -> None:
    at = datetime.fromisoformat(start)
    for minute in range(0, 8 * 60, 7):
        instant = (at + timedelta(minutes=minute, seconds=minute % 60, microseconds=minute))
        for text in (instant.isoformat(), instant.astimezone(ROME).isoformat()):
            assert rome_date(text) == instant.astimezone(ROME).date().isoformat(), text
    assert rome_date("2026-03-28T23:00:00+00:00") == "2026-03-29"  # midnight in Rome (CET)
    assert rome_date("2026-03-28T22:59:59.999999+00:00") == "2026-03-28"
    assert rome_date("2026-10-24T22:00:00+00:00") == "2026-10-25"  # midnight in Rome (CEST)
    assert datetime(2026, 10, 24, 21, 59, tzinfo=UTC).astimezone(ROME).day == 24
