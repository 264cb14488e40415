"""Errors named for broken rules; the HTTP edge maps these families to status codes in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """A command broke a business rule. Maps to 409 (state conflict) unless a subclass says otherwise."""

    status_code = 409

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(DomainError):
    """The command's values are wrong whatever the state (e.g. a negative amount). Maps to 422."""

    status_code = 422


class NotFound(DomainError):
    """The named thing does not exist. Maps to 404."""

    status_code = 404


class ConcurrencyConflict(DomainError):
    """Another command changed the same aggregate first; the client should re-read and retry."""

    status_code = 409


def retried(act: Callable[[], T], attempts: int = 5) -> T:
    """`act` (read, change, save), again from a fresh read when a concurrent save of the same aggregate won; the
    last attempt's conflict reaches the caller."""
    for _ in range(attempts - 1):
        try:
            return act()
        except ConcurrencyConflict:
            continue
    return act()


class NotYours(DomainError):
    """The caller acted on something that belongs to someone else. Maps to 403."""

    status_code = 403
