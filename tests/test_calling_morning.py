"""The instant a product served to real clients starts at: the next morning, after the real today, on which
the Italian calling policy allows calls all day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import ROME, calling_morning


@pytest.mark.parametrize(("after", "morning"), [
    # Monday to Tuesday, 10:00 in Rome in winter (09:00 UTC)
    (date(2026, 11, 23), datetime(2026, 11, 24, 9, tzinfo=UTC)),
    # Friday 4 December 2026: not the short Saturday, not Sunday, not Sant'Ambrogio in Milan (Monday 7), not
    # the Immacolata (Tuesday 8)
    (date(2026, 12, 4), datetime(2026, 12, 9, 9, tzinfo=UTC)),
    # Good Friday is a working day in Italy: Thursday before Easter 2027 gives Friday
    (date(2027, 3, 25), datetime(2027, 3, 26, 9, tzinfo=UTC)),
    # Friday before Easter 2027: Saturday, Easter Sunday, Easter Monday skipped; summer time by then (08:00 UTC)
    (date(2027, 3, 26), datetime(2027, 3, 30, 8, tzinfo=UTC)),
    # New Year's Eve 2030 is itself the eve of a holiday; 1 January is one, 2 January 2031 a Thursday
    (date(2030, 12, 30), datetime(2031, 1, 2, 9, tzinfo=UTC)),
])
def test_the_calling_morning_skips_short_days_sundays_holidays_and_their_eves(after: date, morning: datetime) -> None:
    assert calling_morning(after) == morning


def test_by_default_the_calling_morning_is_after_the_real_today_and_within_a_week() -> None:
    today = datetime.now(ROME).date()
    morning = calling_morning().astimezone(ROME)
    assert today < morning.date() <= today + timedelta(days=7)
    assert (morning.hour, morning.minute) == (10, 0)
