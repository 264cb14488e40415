"""Identity's pure rules, without a store: the sign-in lock and who may hold which role."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from services.identity.domain import (
    Account,
    Role,
    TooManyAttempts,
    check_key_role,
    check_role,
    refuse_after,
)
from services.kernel.errors import InvalidInput

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


def test_the_lock_opens_when_the_oldest_counted_failure_leaves_the_window() -> None:
    recent = [NOW - timedelta(minutes=1), NOW - timedelta(minutes=5), NOW - timedelta(minutes=10)]
    with pytest.raises(TooManyAttempts, match="try again in 300 seconds") as refused:
        refuse_after(recent, 3, WINDOW, NOW, "giulia@example.org from this address")
    assert refused.value.headers == {"Retry-After": "300"}


def test_fewer_failures_than_the_limit_lock_nothing() -> None:
    refuse_after([NOW - timedelta(minutes=1)] * 2, 3, WINDOW, NOW, "giulia@example.org")


def test_only_a_volunteer_account_names_a_volunteer_and_no_key_is_a_volunteer() -> None:
    check_role(Role.VOLUNTEER, uuid4())
    with pytest.raises(InvalidInput, match="needs the volunteer_id"):
        check_role(Role.VOLUNTEER, None)
    with pytest.raises(InvalidInput, match="only a volunteer has one"):
        check_role(Role.COORDINATOR, uuid4())
    with pytest.raises(InvalidInput, match="role must be one of"):
        check_role(Role.PUBLIC, None)
    with pytest.raises(InvalidInput, match="an API key's role"):
        check_key_role(Role.VOLUNTEER)


def test_an_account_acts_as_itself_with_its_role_and_volunteer() -> None:
    giulia = uuid4()
    account = Account(uuid4(), "giulia@angeli.example", Role.VOLUNTEER, giulia, False, NOW.isoformat())
    actor = account.actor
    assert (actor.kind, actor.name, actor.role, actor.volunteer_id) == ("account", "giulia@angeli.example",
                                                                      "volunteer", giulia)
    assert actor.label == "account:giulia@angeli.example"
