"""Identity's rules: roles, who acts (an account, an API key or the system) and why, and the sign-in limits.

Pure: no clock, no store. The application (application.py) stores accounts, sessions and keys; the HTTP edge
(auth.py) turns credentials into the `Actor` and `Access` that use cases take as arguments.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from services.kernel.errors import DomainError, InvalidInput

SESSION_LIFETIME = timedelta(hours=12)
MIN_PASSWORD = 12
MAX_PASSWORD = 1024
KEY_PREFIX = "angeli"


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    CAMPAIGN_MANAGER = "campaign_manager"
    COORDINATOR = "coordinator"
    VOLUNTEER = "volunteer"
    AUDITOR = "auditor"
    VIEWER = "viewer"
    PUBLIC = "public"  # anyone, signed in or not; never given to an account or key


GRANTABLE = tuple(r.value for r in Role if r is not Role.PUBLIC)


@dataclass(frozen=True)
class Actor:
    """An authenticated account or API key (or the system itself, for jobs and reactions)."""

    kind: str  # "account", "api_key" or "system"
    id: str
    name: str
    role: str
    volunteer_id: UUID | None = None

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.name}"


SYSTEM = Actor(kind="system", id="system", name="system", role="administrator")


@dataclass(frozen=True)
class Access:
    """The actor and why they act (the request they made): what an audit trail records. Use cases that must
    know who acts take it as an argument: the route passes the caller's, jobs, reactions and the CLI `SYSTEM_ACCESS`
    (or their own)."""

    actor: Actor
    purpose: str


SYSTEM_ACCESS = Access(SYSTEM, "system")


class Unauthenticated(DomainError):
    """No valid credentials came with the request."""

    status_code = 401
    headers = {"WWW-Authenticate": "Bearer"}  # noqa: RUF012  # read-only class constant


class Forbidden(DomainError):
    """The caller is known but their role may not do this."""

    status_code = 403


class TooManyAttempts(DomainError):
    """Too many failed sign-ins for this account (from this address, or from all); wait before trying again."""

    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.headers = {"Retry-After": str(retry_after)}


class WeakPassword(InvalidInput):
    """The password is too short to resist guessing."""


class LastAdministrator(DomainError):
    """The change would leave nobody able to administer Angeli."""


@dataclass(frozen=True)
class Account:
    account_id: UUID
    email: str
    role: str
    volunteer_id: UUID | None
    disabled: bool
    created_at: str
    invited: bool = False  # created by an invitation link whose password is not set yet: nobody can sign in

    @property
    def status(self) -> str:
        """What the administrator sees: "disabled", "invited" (no password yet) or "active"."""
        return "disabled" if self.disabled else "invited" if self.invited else "active"

    @property
    def actor(self) -> Actor:
        return Actor(kind="account", id=str(self.account_id), name=self.email, role=self.role,
                     volunteer_id=self.volunteer_id)


@dataclass(frozen=True)
class ApiKey:
    key_id: UUID
    prefix: str
    name: str
    role: str
    created_by: str
    created_at: str
    revoked: bool


@dataclass(frozen=True)
class Session:
    token: str  # shown once, to the client; only its sha256 is stored
    account: Account
    issued_at: datetime
    expires_at: datetime

    @property
    def lifetime(self) -> timedelta:
        """How long the session lives from its issue, in the product's own time."""
        return self.expires_at - self.issued_at


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise WeakPassword(f"password must have at least {MIN_PASSWORD} characters, got {len(password)}")
    if len(password) > MAX_PASSWORD:
        raise WeakPassword(f"password must have at most {MAX_PASSWORD} characters, got {len(password)}")


def check_role(role: str, volunteer_id: UUID | None) -> None:
    if role not in GRANTABLE:
        raise InvalidInput(f"role must be one of {roles()}, got {role!r}")
    if (role == Role.VOLUNTEER) != (volunteer_id is not None):
        raise InvalidInput("a volunteer account needs the volunteer_id it signs in as, and only a volunteer has one")


def check_key_role(role: str) -> None:
    if role not in GRANTABLE or role == Role.VOLUNTEER:
        raise InvalidInput(f"an API key's role must be one of {roles(exclude=Role.VOLUNTEER)}, got {role!r}")


def roles(exclude: Role | None = None) -> str:
    return ", ".join(r for r in GRANTABLE if r != exclude)


def refuse_after(recent: list[datetime], limit: int, window: timedelta, now: datetime, whose: str) -> None:
    """`recent`: the newest `limit` failures within the window, newest first; the oldest of them unlocks when it
    expires. Raises TooManyAttempts, saying how long to wait, once there are `limit` of them."""
    if len(recent) >= limit:
        unlock = recent[-1] + window
        wait = max(1, math.ceil((unlock - now).total_seconds()))
        raise TooManyAttempts(f"too many failed sign-ins for {whose}; try again in {wait} seconds", wait)


# --- invitations (sign-up and the volunteers' desk) ---------------------------------------------------------
INVITATION_LIFETIME = timedelta(days=7)


class InvitationUnknown(DomainError):
    """No invitation has this token (it was mistyped, or never issued)."""

    status_code = 404


class InvitationUsed(DomainError):
    """The invitation already set a password: a link works once."""


class InvitationExpired(DomainError):
    """The invitation is older than its lifetime; a coordinator can send a new one."""

    status_code = 410


@dataclass(frozen=True)
class Invitation:
    token: str  # shown once, in the link handed to the volunteer; only its sha256 is stored
    email: str
    volunteer_id: UUID
    expires_at: datetime


@dataclass(frozen=True)
class InvitationState:
    used_at: str | None
    expires_at: datetime


def check_invitation(state: InvitationState | None, now: datetime) -> None:
    if state is None:
        raise InvitationUnknown("this invitation link is not valid; ask your coordinator for a new one")
    if state.used_at is not None:
        raise InvitationUsed("this invitation link was already used; sign in with the password you chose")
    if now >= state.expires_at:
        raise InvitationExpired("this invitation link has expired or a newer one replaced it; "
                                "ask your coordinator for a new one")


# --- the accounts desk (admin) ------------------------------------------------------------------------------
ACCOUNT_STATUSES = ("active", "invited", "disabled")


class AccountDisabled(DomainError):
    """The account is disabled: enable it before sending it a link to set its password."""


def check_account_status(status: str | None) -> None:
    if status is not None and status not in ACCOUNT_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(ACCOUNT_STATUSES)}, got {status!r}")


def check_role_filter(role: str | None) -> None:
    if role is not None and role not in GRANTABLE:
        raise InvalidInput(f"role must be one of {roles()}, got {role!r}")


@dataclass(frozen=True)
class AccountInvitation:
    """A one-time link for an account the administrator created without a password (or whose password is to be
    set again): the token is shown once, in the link; only its sha256 is stored."""

    token: str
    account_id: UUID
    expires_at: datetime
