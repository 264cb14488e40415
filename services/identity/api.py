"""Sign-in, sign-out, who am I, and the administration of accounts and API keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from ipaddress import ip_address
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, EmailStr, Field, SecretStr
from pydantic.config import JsonDict

from services.identity.auth import SESSION_COOKIE, CurrentUser, IdentityStore, require, session_token
from services.identity.domain import MAX_PASSWORD, Account, AccountInvitation, Actor, ApiKey, Role
from services.kernel.errors import InvalidInput
from services.kernel.settings import AnyNetwork

router = APIRouter(prefix="/auth", tags=["authentication"])
Administrator = Annotated[Actor, Depends(require(Role.ADMINISTRATOR))]


# A password is a SecretStr (masked in any repr) and its length is checked by Identity, not by pydantic,
# whose validation errors quote the input: a too-long password would be echoed back in the 422.
PASSWORD_SCHEMA: JsonDict = {"minLength": 1, "maxLength": MAX_PASSWORD}


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=3, max_length=320)
    password: SecretStr = Field(json_schema_extra=PASSWORD_SCHEMA)


class AccountOut(BaseModel):
    account_id: UUID
    email: str
    role: str
    volunteer_id: UUID | None
    disabled: bool
    created_at: str
    status: str = Field(description='"active", "invited" (its password not set yet) or "disabled"')


class SessionOut(BaseModel):
    token: str
    token_type: str = "bearer"
    expires_at: datetime
    account: AccountOut


class Me(BaseModel):
    kind: str
    id: str
    name: str
    role: str
    volunteer_id: UUID | None


class NewAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: EmailStr = Field(max_length=320)
    password: SecretStr | None = Field(default=None, json_schema_extra=PASSWORD_SCHEMA,
                                       description="the password; leave it out with invite=true")
    role: str = Field(max_length=40)
    volunteer_id: UUID | None = None
    invite: bool = Field(default=False, description="no password: answer a one-time link for its owner to set one")


class RoleChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: str = Field(max_length=40)
    volunteer_id: UUID | None = None


class NewKey(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    role: str = Field(max_length=40)


class KeyOut(BaseModel):
    key_id: UUID
    prefix: str
    name: str
    role: str
    created_by: str
    created_at: str
    revoked: bool


class NewKeyOut(KeyOut):
    secret: str = Field(description="the whole key, shown only now: send it as X-API-Key")


class AccountChange(BaseModel):
    at: str
    actor: str
    subject: str
    change: str
    detail: str
    subject_name: str | None = Field(default=None, description="the account's e-mail or the key's name")


class InvitationLink(BaseModel):
    link: str = Field(description="the one-time link to set the password: shown only in this answer")
    expires_at: datetime


class NewAccountOut(AccountOut):
    invitation: InvitationLink | None = None


@router.post("/sign-in")
def sign_in(body: SignIn, request: Request, response: Response, identity: IdentityStore) -> SessionOut:
    """Exchange e-mail and password for a session token (also set as an HttpOnly cookie)."""
    peer = request.client.host if request.client else None
    ip = client_address(peer, request.headers.getlist("x-forwarded-for"), identity.limits.trusted_proxies)
    session = identity.sign_in(body.email, body.password.get_secret_value(), ip)
    # Max-Age, not Expires: the browser counts the lifetime from now on its own clock, so a product whose clock
    # differs from the user's (a training clock, a laptop set to another day) never hands it a cookie already dead.
    response.set_cookie(SESSION_COOKIE, session.token, max_age=int(session.lifetime.total_seconds()),
                        **_cookie_attributes(request))
    return SessionOut(token=session.token, expires_at=session.expires_at, account=_account(session.account))


@router.post("/sign-out", status_code=204)
def sign_out(_user: CurrentUser, token: Annotated[str | None, Depends(session_token)],
             identity: IdentityStore, request: Request, response: Response) -> None:
    """End this session: its token is refused from now on."""
    if token is not None:
        identity.sign_out(token)
    response.delete_cookie(SESSION_COOKIE, **_cookie_attributes(request))  # Max-Age=0: gone on any clock


def _cookie_attributes(request: Request) -> dict[str, Any]:
    """The session cookie's attributes, the same when it is set and when it is deleted."""
    return {"httponly": True, "samesite": "strict", "secure": request.url.scheme == "https"}


@router.get("/me")
def me(user: CurrentUser) -> Me:
    """Who the credentials belong to, and their role."""
    return Me(kind=user.kind, id=user.id, name=user.name, role=user.role, volunteer_id=user.volunteer_id)


@router.post("/accounts", status_code=201)
def create_account(body: NewAccount, admin: Administrator, identity: IdentityStore) -> NewAccountOut:
    """Create an account with a role (a volunteer account names its volunteer id), with a password or, with
    invite=true, a one-time link for its owner to choose one (the link is in this answer only)."""
    if body.invite == (body.password is not None):
        raise InvalidInput("give either a password or invite=true (a one-time link to set it), not both or neither")
    if body.password is None:
        account, invitation = identity.invite_account(body.email, body.role, admin, body.volunteer_id)
        return NewAccountOut(**_account(account).model_dump(), invitation=_link(invitation))
    password = body.password.get_secret_value()
    return NewAccountOut(**_account(identity.create_account(body.email, password, body.role, admin,
                                                            body.volunteer_id)).model_dump())


@router.get("/accounts")
def list_accounts(_admin: Administrator, identity: IdentityStore, response: Response,
                  role: Annotated[str | None, Query(max_length=40)] = None,
                  status: Annotated[str | None, Query(max_length=20)] = None,
                  limit: Annotated[int, Query(ge=1, le=500)] = 100,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[AccountOut]:
    """Accounts by e-mail, a page at a time, filtered by role and status; X-Total-Count says how many match."""
    accounts, total = identity.accounts_page(role, status, limit, offset)
    response.headers["X-Total-Count"] = str(total)
    return [_account(a) for a in accounts]


@router.post("/accounts/{account_id}/role")
def change_role(account_id: UUID, body: RoleChange, admin: Administrator, identity: IdentityStore) -> AccountOut:
    """Give an account another role; it applies to its open sessions at once."""
    return _account(identity.change_role(account_id, body.role, admin, body.volunteer_id))


@router.post("/accounts/{account_id}/disable")
def disable_account(account_id: UUID, admin: Administrator, identity: IdentityStore) -> AccountOut:
    """Disable an account and end its sessions."""
    return _account(identity.disable(account_id, admin))


@router.get("/account-changes")
def account_changes(_admin: Administrator, identity: IdentityStore,
                    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
                    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                    subject: Annotated[str | None, Query(max_length=60, pattern=r"^[a-z_]+:[0-9a-f-]{36}$")] = None,
                    ) -> list[AccountChange]:
    """The trail of account and API-key changes (who changed which account or key, when), newest first; subject
    (e.g. account:<id>) keeps one account's or key's."""
    return [AccountChange(**row) for row in identity.trail(limit, offset, subject)]


@router.post("/api-keys", status_code=201)
def create_key(body: NewKey, admin: Administrator, identity: IdentityStore) -> NewKeyOut:
    """Create an API key for an integration; its secret is shown only in this answer."""
    key, secret = identity.create_key(body.name, body.role, admin)
    return NewKeyOut(**_key(key).model_dump(), secret=secret)


@router.get("/api-keys")
def list_keys(_admin: Administrator, identity: IdentityStore) -> list[KeyOut]:
    """Every API key (never its secret)."""
    return [_key(k) for k in identity.api_keys()]


@router.post("/api-keys/{key_id}/revoke")
def revoke_key(key_id: UUID, admin: Administrator, identity: IdentityStore) -> KeyOut:
    """Revoke an API key: it is refused from now on."""
    return _key(identity.revoke_key(key_id, admin))


def client_address(peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[AnyNetwork]) -> str:
    """The client's address: the direct peer, unless it is a trusted proxy; then the right-most hop of
    X-Forwarded-For that is not a trusted proxy. Hops left of it were written by the client: never read."""
    if peer is None:
        return "unknown"
    nearest = peer
    hops = [hop.strip() for header in forwarded_for for hop in header.split(",")]
    for hop in [peer, *reversed(hops)]:
        try:
            address = ip_address(hop)
        except ValueError:
            return nearest  # not an address: whoever wrote it is not to be believed; the last proxy is
        if not any(address in network for network in trusted):
            return str(address)
        nearest = str(address)
    return nearest  # every hop is a trusted proxy: the farthest one is all we know


def _account(account: Account) -> AccountOut:
    return AccountOut(account_id=account.account_id, email=account.email, role=account.role,
                      volunteer_id=account.volunteer_id, disabled=account.disabled, created_at=account.created_at,
                      status=account.status)


def _link(invitation: AccountInvitation) -> InvitationLink:
    return InvitationLink(link=f"/console/welcome?token={invitation.token}", expires_at=invitation.expires_at)


def _key(key: ApiKey) -> KeyOut:
    return KeyOut(key_id=key.key_id, prefix=key.prefix, name=key.name, role=key.role,
                  created_by=key.created_by, created_at=key.created_at, revoked=key.revoked)


# sign-up and the volunteers' desk: an approved volunteer sets their password through a one-time link
class NewPassword(BaseModel):
    model_config = ConfigDict(extra="forbid")
    password: SecretStr = Field(json_schema_extra=PASSWORD_SCHEMA)


@router.post("/invitations/{token}", status_code=201)
def accept_invitation(token: Annotated[str, Path(min_length=20, max_length=100)], body: NewPassword,
                      identity: IdentityStore) -> AccountOut:
    """Set the password of an invited volunteer's account; the link works once, before it expires."""
    return _account(identity.accept_invitation(token, body.password.get_secret_value()))


# the accounts desk (admin)
@router.post("/accounts/{account_id}/enable")
def enable_account(account_id: UUID, admin: Administrator, identity: IdentityStore) -> AccountOut:
    """Let a disabled account sign in again."""
    return _account(identity.enable(account_id, admin))


@router.post("/accounts/{account_id}/invitation", status_code=201)
def invite_again(account_id: UUID, admin: Administrator, identity: IdentityStore) -> InvitationLink:
    """A new one-time link for the account to set its password (shown only in this answer); earlier unused links
    stop working."""
    return _link(identity.invite_again(account_id, admin))
# (end of the accounts desk)
