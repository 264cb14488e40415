"""Composition root of identity: the accounts, sessions and API keys in their own store, for the API and the CLI."""

from __future__ import annotations

from services.identity.application import Identity
from services.kernel.clock import Clock
from services.kernel.readmodel import open_store
from services.kernel.settings import Settings


def build(settings: Settings, clock: Clock) -> Identity:
    """The installation's identity application (its store "identity"); the caller closes `identity.store`."""
    return Identity(open_store(settings, "identity"), clock, limits=settings.sign_in)
