"""The accounts desk on the identity store: accounts created by a one-time link (the administrator never chooses the
password), a new link, enable and disable, the list by role and status, and the trail of who changed what."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from services.identity.application import Identity
from services.identity.cli import CLI
from services.identity.domain import (
    AccountDisabled,
    Actor,
    InvitationExpired,
    InvitationUsed,
    LastAdministrator,
    Role,
    Unauthenticated,
)
from services.kernel.clock import FixedClock
from services.kernel.errors import DomainError, InvalidInput
from services.kernel.readmodel import PostgresStore
from services.kernel.settings import Settings
from tests.security.conftest import ADMIN_EMAIL, FAST_HASHER, GIULIA

PASSWORD = "la-password-di-giulia"


def test_an_invited_account_cannot_sign_in_until_its_owner_sets_the_password_through_the_link(
    identity: Identity, admin: Actor,
) -> None:
    account, link = identity.invite_account("Giulia@Angeli.example", Role.COORDINATOR, admin)
    assert (account.email, account.role, account.status) == ("giulia@angeli.example", "coordinator", "invited")
    with pytest.raises(Unauthenticated):
        identity.sign_in("giulia@angeli.example", "anything-at-all-1", "10.0.0.1")

    accepted = identity.accept_invitation(link.token, PASSWORD)

    assert accepted.account_id == account.account_id and accepted.status == "active"
    assert identity.sign_in("giulia@angeli.example", PASSWORD, "10.0.0.1").account.role == "coordinator"


def test_the_link_works_once_and_a_new_one_replaces_the_old(identity: Identity, admin: Actor) -> None:
    account, first = identity.invite_account("marco@angeli.example", Role.VIEWER, admin)
    second = identity.invite_again(account.account_id, admin)
    with pytest.raises(InvitationExpired):
        identity.accept_invitation(first.token, PASSWORD)
    identity.accept_invitation(second.token, PASSWORD)
    with pytest.raises(InvitationUsed):
        identity.accept_invitation(second.token, "un-altra-password-1")


def test_the_link_expires_after_seven_days(identity: Identity, admin: Actor, clock: FixedClock) -> None:
    _, link = identity.invite_account("marco@angeli.example", Role.VIEWER, admin)
    clock.advance(timedelta(days=7))
    with pytest.raises(InvitationExpired):
        identity.accept_invitation(link.token, PASSWORD)
    assert identity.accounts_page(status="invited")[1] == 1


def test_a_new_link_for_an_account_with_a_password_resets_it_and_ends_its_sessions(
    identity: Identity, admin: Actor,
) -> None:
    account = identity.create_account("marco@angeli.example", "la-vecchia-password", Role.AUDITOR, admin)
    session = identity.sign_in("marco@angeli.example", "la-vecchia-password", "10.0.0.1")
    link = identity.invite_again(account.account_id, admin)
    assert identity.session_actor(session.token) is not None  # the old password works until the link is used
    identity.accept_invitation(link.token, PASSWORD)
    assert identity.session_actor(session.token) is None
    with pytest.raises(Unauthenticated):
        identity.sign_in("marco@angeli.example", "la-vecchia-password", "10.0.0.1")
    assert identity.sign_in("marco@angeli.example", PASSWORD, "10.0.0.1")


def test_a_disabled_account_gets_no_link_and_its_pending_link_stops_working(identity: Identity, admin: Actor) -> None:
    account, link = identity.invite_account("marco@angeli.example", Role.VIEWER, admin)
    identity.disable(account.account_id, admin)
    with pytest.raises(InvitationExpired):
        identity.accept_invitation(link.token, PASSWORD)
    with pytest.raises(AccountDisabled, match="enable it before"):
        identity.invite_again(account.account_id, admin)
    identity.enable(account.account_id, admin)
    with pytest.raises(InvitationExpired):
        identity.accept_invitation(link.token, PASSWORD)  # enabling does not revive it
    identity.accept_invitation(identity.invite_again(account.account_id, admin).token, PASSWORD)


def test_disable_and_enable_take_effect_at_once_and_are_recorded_once(identity: Identity, admin: Actor) -> None:
    account = identity.create_account("marco@angeli.example", PASSWORD, Role.AUDITOR, admin)
    session = identity.sign_in("marco@angeli.example", PASSWORD, "10.0.0.1")
    identity.disable(account.account_id, admin)
    identity.disable(account.account_id, admin)
    assert identity.session_actor(session.token) is None
    assert identity.enable(account.account_id, admin).status == "active"
    identity.enable(account.account_id, admin)
    assert identity.session_actor(session.token) is None  # ended sessions stay ended
    assert identity.sign_in("marco@angeli.example", PASSWORD, "10.0.0.1")
    changes = [c["change"] for c in identity.trail(subject=f"account:{account.account_id}")]
    assert sorted(changes) == ["created", "disabled", "enabled"]


def test_accounts_are_listed_by_role_and_status_a_page_at_a_time(identity: Identity, admin: Actor) -> None:
    for name in ("bea", "carla", "dario"):
        identity.create_account(f"{name}@angeli.example", PASSWORD, Role.VIEWER, admin)
    invited, _ = identity.invite_account("elena@angeli.example", Role.VIEWER, admin)
    identity.disable(identity.accounts_page(role="viewer")[0][0].account_id, admin)  # bea

    assert [a.email for a in identity.accounts_page(role="viewer", status="active")[0]] == [
        "carla@angeli.example", "dario@angeli.example"]
    assert [a.email for a in identity.accounts_page(status="invited")[0]] == ["elena@angeli.example"]
    assert [a.email for a in identity.accounts_page(status="disabled")[0]] == ["bea@angeli.example"]
    page, total = identity.accounts_page(limit=2, offset=2)
    assert total == 5 and [a.email for a in page] == ["carla@angeli.example", "dario@angeli.example"]  # anna, bea first
    assert identity.accounts_page(role="administrator")[0][0].email == ADMIN_EMAIL
    assert invited.status == "invited"


@pytest.mark.parametrize(("status", "role"), [("sleeping", None), (None, "boss")])
def test_an_unknown_filter_is_refused_naming_the_choices(identity: Identity, status: str | None,
                                                         role: str | None) -> None:
    with pytest.raises(InvalidInput, match="must be one of"):
        identity.accounts_page(role=role, status=status)


@pytest.mark.parametrize(("email", "role", "volunteer", "error", "message"), [
    ("not-an-address", "viewer", None, InvalidInput, "email is not a valid address"),
    ("giulia@angeli.example", "boss", None, InvalidInput, "role must be one of"),
    ("giulia@angeli.example", "volunteer", None, InvalidInput, "needs the volunteer_id"),
    ("giulia@angeli.example", "viewer", GIULIA, InvalidInput, "only a volunteer has one"),
    (ADMIN_EMAIL.upper(), "viewer", None, DomainError, "already exists"),
])
def test_a_bad_invitation_stores_nothing(identity: Identity, admin: Actor, email: str, role: str,
                                         volunteer: object, error: type[Exception], message: str) -> None:
    before = (identity.accounts_page()[1], len(identity.trail()))
    with pytest.raises(error, match=message):
        identity.invite_account(email, role, admin, volunteer)  # type: ignore[arg-type]
    assert (identity.accounts_page()[1], len(identity.trail())) == before
    assert identity.store.one("SELECT COUNT(*) AS n FROM account_invitations")["n"] == 0  # type: ignore[index]


def test_a_volunteer_has_one_account(identity: Identity, admin: Actor) -> None:
    identity.invite_account("giulia@angeli.example", Role.VOLUNTEER, admin, GIULIA)
    with pytest.raises(DomainError, match="already has an account"):
        identity.invite_account("giulia.rossi@angeli.example", Role.VOLUNTEER, admin, GIULIA)


def test_an_administrator_cannot_leave_nobody_to_administer(identity: Identity, admin: Actor) -> None:
    anna = identity.accounts_page(role="administrator")[0][0]
    with pytest.raises(LastAdministrator, match="last active administrator"):
        identity.disable(anna.account_id, anna.actor)
    with pytest.raises(LastAdministrator):
        identity.change_role(anna.account_id, Role.VIEWER, anna.actor)
    second, _ = identity.invite_account("paolo@angeli.example", Role.ADMINISTRATOR, admin)
    identity.disable(second.account_id, admin)  # a disabled administrator administers nothing
    with pytest.raises(LastAdministrator):
        identity.disable(anna.account_id, anna.actor)
    identity.enable(second.account_id, admin)
    assert identity.change_role(anna.account_id, Role.VIEWER, anna.actor).role == "viewer"


def test_the_trail_says_who_changed_which_account_and_key_and_when(
    identity: Identity, admin: Actor, clock: FixedClock,
) -> None:
    account, link = identity.invite_account("marco@angeli.example", Role.VIEWER, admin)
    clock.advance(timedelta(minutes=1))
    identity.accept_invitation(link.token, PASSWORD)
    clock.advance(timedelta(minutes=1))
    identity.change_role(account.account_id, Role.AUDITOR, admin)
    clock.advance(timedelta(minutes=1))
    key, _ = identity.create_key("schermo in sala", Role.VIEWER, admin)
    clock.advance(timedelta(minutes=1))
    identity.revoke_key(key.key_id, admin)

    trail = [(c["change"], c["actor"], c["subject_name"]) for c in identity.trail(limit=7)]
    assert trail[:4] == [
        ("revoked", admin.label, "schermo in sala"),
        ("created", admin.label, "schermo in sala"),
        ("role_changed", admin.label, "marco@angeli.example"),
        ("password_set", "invitation:marco@angeli.example", "marco@angeli.example"),
    ]
    assert sorted(trail[4:]) == [("created", admin.label, "anna@angeli.example"),  # the same first instant
                                 ("created", admin.label, "marco@angeli.example"),
                                 ("invitation_issued", admin.label, "marco@angeli.example")]
    assert [c["change"] for c in identity.trail(limit=2, offset=2)] == ["role_changed", "password_set"]
    assert PASSWORD not in repr(identity.trail()) and link.token not in repr(identity.trail())


def test_an_unknown_account_is_not_found(identity: Identity, admin: Actor) -> None:
    with pytest.raises(DomainError, match="not found"):
        identity.invite_again(uuid4(), admin)


@pytest.mark.postgres
def test_the_desk_works_the_same_on_postgresql(pg_settings: Settings, clock: FixedClock) -> None:
    store = PostgresStore(pg_settings.postgres.conninfo(), schema="identity")
    try:
        identity = Identity(store, clock, hasher=FAST_HASHER)
        identity.create_account(ADMIN_EMAIL, "sette-angeli-milano", Role.ADMINISTRATOR, CLI)
        account, link = identity.invite_account("bea@angeli.example", Role.VOLUNTEER, CLI, GIULIA)
        assert [a.email for a in identity.accounts_page(role="volunteer", status="invited")[0]] == [account.email]
        clock.advance(timedelta(minutes=1))
        identity.accept_invitation(link.token, PASSWORD)
        clock.advance(timedelta(minutes=1))
        identity.disable(account.account_id, CLI)
        assert identity.accounts_page(status="disabled") == ([identity.account(account.account_id)], 1)
        assert identity.accounts_page(status="active", limit=1, offset=0)[1] == 1
        trail = identity.trail(subject=f"account:{account.account_id}")
        assert {(c["change"], c["subject_name"]) for c in trail} == {
            (change, "bea@angeli.example") for change in ("created", "invitation_issued", "password_set", "disabled")}
        assert identity.trail(limit=1, offset=1)[0]["change"] == "password_set"
    finally:
        store.close()
