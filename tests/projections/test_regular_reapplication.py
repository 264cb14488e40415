"""The regular-giving read model applies its history the same way however the messages are batched, and a
redelivered batch changes nothing (the checks of test_reapplication, on a history of commitments)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import pytest

from services.donations.domain.commitment import set_up
from services.projections import regular
from tests.projections import test_reapplication as checks
from tests.projections.conftest import ReadModelOf, Sources

AT = datetime(2026, 1, 2, 9, tzinfo=UTC)


@pytest.fixture
def history(sources: Sources) -> None:
    """Giulia gives €10 a month from January, misses February and March (lapsed), resumes in April, gives €15 from
    May; Marco's quarterly gift is paused, then ended."""
    fund, giulia, marco = uuid4(), uuid4(), uuid4()
    monthly = set_up(giulia, fund, Decimal("10.00"), "monthly", 5, date(2026, 1, 1), None, "sepa", "ANG-1",
                     date(2025, 12, 20), AT, date(2026, 1, 2))
    monthly.match(uuid4(), uuid4(), Decimal("10.00"), date(2026, 1, 6))
    monthly.lapse_if_missed(2, date(2026, 4, 2), AT)
    monthly.resume(date(2026, 4, 3), AT)
    monthly.match(uuid4(), uuid4(), Decimal("10.00"), date(2026, 4, 6))
    monthly.change_amount(Decimal("15.00"), date(2026, 5, 1), AT)
    quarterly = set_up(marco, fund, Decimal("30.00"), "quarterly", 10, date(2026, 1, 1), date(2027, 12, 31), "card",
                       None, None, AT, date(2026, 1, 2))
    quarterly.pause(date(2026, 3, 1), AT)
    quarterly.end_commitment(date(2026, 6, 1), "the donor moved abroad", AT)
    sources.save("donations", monthly, quarterly)


def test_one_message_at_a_time_gives_the_rows_the_follower_s_batches_give(
    history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    checks.test_one_message_at_a_time_gives_the_rows_the_follower_s_batches_give(
        regular.PROJECTION, history, read_model, sources)


def test_a_redelivered_batch_is_skipped_and_the_position_stays(
    history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    checks.test_a_redelivered_batch_is_skipped_and_the_position_stays(regular.PROJECTION, history, read_model, sources)


def test_a_batch_overlapping_what_was_applied_applies_only_the_new_messages(
    history: None, read_model: ReadModelOf, sources: Sources
) -> None:
    checks.test_a_batch_overlapping_what_was_applied_applies_only_the_new_messages(
        regular.PROJECTION, history, read_model, sources)


def test_the_history_gives_expected_and_received_income_per_month(
    history: None, read_model: ReadModelOf,
) -> None:
    model = read_model(regular.PROJECTION)
    model.catch_up()
    income = regular.expected_income(model.store, date(2026, 1, 1), 6)
    rows = {r["month"]: (r["expected"], r["received"]) for r in income}
    assert rows == {"2026-01": ("40.00", "10.00"), "2026-02": ("10.00", "0.00"), "2026-03": ("10.00", "0.00"),
                    "2026-04": ("10.00", "10.00"), "2026-05": ("15.00", "0.00"), "2026-06": ("15.00", "0.00")}
