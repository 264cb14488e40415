"""Authentication and roles at the HTTP edge: `CurrentUser`, `CurrentAccess` and `require(*roles)` as FastAPI
dependencies, and `enforce(policy)`, the app-wide guard the composition root hands the kernel's HTTP edge.

Credentials come as `Authorization: Bearer <session token>`, `X-API-Key: angeli_<prefix>_<secret>`, or the
web console's session cookie. Administrators may do everything; other roles only what a route names.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from services.identity.application import Identity
from services.identity.domain import Access, Actor, Forbidden, Role, Unauthenticated

SESSION_COOKIE = "angeli_session"
API_KEY_HEADER = "X-API-Key"

# auto_error=False: a missing credential is reported by us, with one clear message, not by each scheme.
_bearer = HTTPBearer(auto_error=False, description="session token from POST /auth/sign-in")
_api_key = APIKeyHeader(name=API_KEY_HEADER, auto_error=False, description="API key of an integration")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="web console session")


def identity_of(request: Request) -> Identity:
    identity: Identity = request.app.state.identity
    return identity


async def _identity(request: Request) -> Identity:
    return identity_of(request)


IdentityStore = Annotated[Identity, Depends(_identity)]


async def session_token(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> str | None:
    """The session token the request carries, from the Authorization header or else the cookie."""
    if bearer is not None:
        return bearer.credentials
    return cookie


async def optional_user(
    request: Request,
    token: Annotated[str | None, Depends(session_token)],
    key: Annotated[str | None, Depends(_api_key)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Actor | None:
    """Who is calling, if anyone; wrong credentials are refused even where signing in is optional, except the
    browser's own session cookie: once expired it is nobody's, so the public pages (sign-in first) still open."""
    if token is None and key is None:
        return None
    identity = identity_of(request)
    # The lookups are blocking SQL: run them off the event loop.
    found = await run_in_threadpool(identity.key_actor if key is not None else identity.session_actor,
                                    key if key is not None else token or "")
    if found is None and key is None and bearer is None:
        return None  # an expired cookie: a route needing someone still answers "sign in first" (401)
    if found is None:
        raise Unauthenticated("the session token or API key is unknown, expired or revoked; sign in again")
    return found


async def current_user(found: Annotated[Actor | None, Depends(optional_user)]) -> Actor:
    if found is None:
        raise Unauthenticated(
            "sign in first: send 'Authorization: Bearer <token>' from POST /auth/sign-in, or an X-API-Key")
    return found


CurrentUser = Annotated[Actor, Depends(current_user)]


async def current_access(request: Request, user: CurrentUser) -> Access:
    """The caller and why they act: the request they made (what the access trail records of a read)."""
    return Access(user, f"{request.method} {request.url.path}")


# A route whose use case must know who acts (a read of personal data, a change only the owner may make) takes
# this and passes it on: the use case's reader sees who acts in its signature.
CurrentAccess = Annotated[Access, Depends(current_access)]


def require(*roles: Role | str) -> Callable[..., Awaitable[Actor | None]]:
    """A dependency admitting the named roles (and administrators); `Role.PUBLIC` admits everyone."""
    allowed = frozenset(Role(r) for r in roles) | {Role.ADMINISTRATOR}
    if Role.PUBLIC in allowed:
        async def anyone(found: Annotated[Actor | None, Depends(optional_user)]) -> Actor | None:
            return found
        return anyone

    needed = ", ".join(sorted(allowed))

    async def role_in(found: CurrentUser) -> Actor:
        if found.role not in allowed:
            raise Forbidden(f"this needs one of the roles: {needed}; you are signed in as {found.role}")
        return found

    role_in.allowed_roles = allowed  # type: ignore[attr-defined]  # read by the route-by-role test
    return role_in


@dataclass(frozen=True)
class Rule:
    """Who may call one route. `own` names the path or body field holding a volunteer id: a volunteer
    may call the route only for themselves (e.g. clock in as themselves, ask the dialer for their lease)."""

    roles: frozenset[str]
    own: str | None = None


ADMINISTRATORS_ONLY = Rule(frozenset({Role.ADMINISTRATOR.value}))


def enforce(policy: Mapping[tuple[str, str], Rule]) -> Callable[..., Awaitable[Actor | None]]:
    """An app-wide dependency applying `policy` per (method, route path); unlisted routes: administrators."""

    async def authorize(request: Request, found: Annotated[Actor | None, Depends(optional_user)]) -> Actor | None:
        route = request.scope.get("route")
        rule = policy.get((request.method, getattr(route, "path", "")), ADMINISTRATORS_ONLY)
        if Role.PUBLIC in rule.roles:
            return found
        user = await current_user(found)
        if user.role != Role.ADMINISTRATOR and user.role not in rule.roles:
            needed = ", ".join(sorted(rule.roles | {Role.ADMINISTRATOR.value}))
            raise Forbidden(f"this needs one of the roles: {needed}; you are signed in as {user.role}")
        if rule.own is not None and user.role == Role.VOLUNTEER:
            claimed = request.path_params.get(rule.own) or await _body_field(request, rule.own)
            if str(claimed) != str(user.volunteer_id):
                raise Forbidden(f"a volunteer acts only as themselves: {rule.own} must be {user.volunteer_id}")
        return user

    return authorize


async def _body_field(request: Request, name: str) -> object:
    try:
        body = await request.json()
    except ValueError:
        return None
    return body.get(name) if isinstance(body, dict) else None
