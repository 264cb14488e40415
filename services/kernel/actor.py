"""Who is acting right now: set once per request by authentication, read by the vault's access audit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from uuid import UUID


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
    """The actor and why they act (the request they made): what an audit trail records."""

    actor: Actor
    purpose: str


_current: ContextVar[Access | None] = ContextVar("angeli_current_access", default=None)


def current() -> Access:
    """The access in progress; outside any request that is the system (jobs, reactions, CLI)."""
    return _current.get() or Access(SYSTEM, "system")


def begin(access: Access) -> None:
    """Make `access` current for the rest of this request's context (each request has its own)."""
    _current.set(access)


@contextmanager
def acting(access: Access) -> Iterator[None]:
    """Run a block as `access` (CLI commands, tests), restoring the previous access afterwards."""
    token = _current.set(access)
    try:
        yield
    finally:
        _current.reset(token)
