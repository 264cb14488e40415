"""Volunteers: roles, training sessions, status."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from unittest.mock import Mock

import pytest

from services.calls.application import CallsApplication
from services.calls.domain.volunteer import (
    InvalidTraining,
    StatusUnchanged,
    UnknownRole,
    UnknownStatus,
    VolunteerHasLeft,
    VolunteerNotActive,
)
from services.identity.domain import SYSTEM_ACCESS
from services.kernel.errors import ConcurrencyConflict
from tests.calls.conftest import register


def test_training_sessions_add_up_their_hours(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.record_training(giulia, "Ascolto attivo, modulo 1", Decimal("3.5"), date(2026, 11, 20))
    calls.record_training(giulia, "Protocollo sanitario", Decimal("2.25"), date(2026, 11, 21))
    assert calls.volunteer(giulia).training_hours == Decimal("5.75")


@pytest.mark.parametrize("hours", [Decimal("0"), Decimal("-1"), Decimal("12.01"), Decimal("1.001")])
def test_training_hours_must_be_positive_hundredths_of_at_most_a_day(calls: CallsApplication, hours: Decimal) -> None:
    giulia = register(calls)
    with pytest.raises(InvalidTraining, match="hours must be"):
        calls.record_training(giulia, "Ascolto attivo", hours, date(2026, 11, 20))
    assert calls.volunteer(giulia).version == 1


def test_training_cannot_be_recorded_in_the_future(calls: CallsApplication) -> None:
    giulia = register(calls)
    with pytest.raises(InvalidTraining, match="future"):
        calls.record_training(giulia, "Ascolto attivo", Decimal(2), date(2026, 12, 1))


def test_unknown_role_is_refused(calls: CallsApplication) -> None:
    with pytest.raises(UnknownRole, match="role must be one of"):
        register(calls, roles=("boss",))


def test_paused_volunteer_cannot_clock_in_until_resumed(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.change_status(giulia, "paused")
    with pytest.raises(VolunteerNotActive, match="paused"):
        calls.clock_in(giulia)
    calls.change_status(giulia, "active")
    assert calls.clock_in(giulia).clocked_in_at is not None


def test_a_volunteer_who_left_stays_left(calls: CallsApplication) -> None:
    giulia = register(calls)
    calls.change_status(giulia, "left")
    with pytest.raises(VolunteerHasLeft):
        calls.change_status(giulia, "active")
    with pytest.raises(VolunteerHasLeft):
        calls.record_training(giulia, "Ascolto attivo", Decimal(1), date(2026, 11, 20))


def test_status_must_change_and_be_known(calls: CallsApplication) -> None:
    giulia = register(calls)
    with pytest.raises(StatusUnchanged):
        calls.change_status(giulia, "active")
    with pytest.raises(UnknownStatus, match="active, paused, left"):
        calls.change_status(giulia, "retired")


def test_a_volunteer_whose_registration_fails_leaves_no_personal_data(
    calls: CallsApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The name, phone and e-mail go to the vault first; a save that fails discards them at once."""
    monkeypatch.setattr(calls, "save", Mock(side_effect=ConcurrencyConflict("the event store is away")))
    with pytest.raises(ConcurrencyConflict):
        register(calls)
    assert calls.vault.store.query("SELECT person_id FROM vault_keys UNION SELECT person_id FROM vault_data") == []
    monkeypatch.undo()
    giulia = register(calls)
    assert calls.vault.get(giulia, SYSTEM_ACCESS)["full_name"] == "Giulia Rossi"
    assert calls.vault.store.query("SELECT person_id FROM vault_unsaved") == []
