"""Composition root of privacy: the installation's vault with its access trail, and the "privacy" service that
puts the trail's events on the feed, with the data-protection routes."""

from __future__ import annotations

import logging

from services.kernel.clock import Clock, SystemClock
from services.kernel.eventstore import event_store_env
from services.kernel.readmodel import open_store
from services.kernel.secrets import secret, secret_file
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.privacy.api import router
from services.privacy.application import PrivacyVault
from services.privacy.domain import MasterKeyMismatch
from services.privacy.keys import finish_interrupted_rotation
from services.privacy.trail import SOURCE, AccessTrail

log = logging.getLogger(__name__)


def open_vault(settings: Settings, clock: Clock | None = None) -> PrivacyVault:
    """The installation's vault: its own store, its access trail (event store "privacy") and the master key
    from the settings (or var/secrets); finishes a rotation a crash interrupted before the key file moved."""
    clock = clock or SystemClock()
    store, trail = open_store(settings, "vault"), AccessTrail(event_store_env(settings, SOURCE), clock)
    try:
        return PrivacyVault(store, secret(settings, "vault_key"), clock, trail)
    except MasterKeyMismatch as mismatch:
        path = secret_file(settings, "vault_key")
        recovered = finish_interrupted_rotation(path, mismatch.expected) if path else None
        if recovered is None:
            store.close()
            trail.close()
            raise
        log.warning("finished an interrupted master-key rotation: %s now holds the new key", path)
        return PrivacyVault(store, recovered, clock, trail)


def build(settings: Settings, clock: Clock, vault: PrivacyVault) -> Service:
    """The privacy service: the vault's access trail as an event source, and its routes."""
    return Service(name=SOURCE, application=vault.trail, router=router)
