"""Protocol drafts' use cases: the next version written on the server, seen by every editor, saved over the
revision the editor loaded (a newer one is never overwritten), discarded, or published as the next version.
get → act → save, one save per command; the rules are the Protocol aggregate's (domain/protocol.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.calls.domain.protocol import Protocol, Step
from services.identity.domain import Actor
from services.kernel.idempotency import PendingRequest

if TYPE_CHECKING:
    from services.calls.application import CallsApplication


@dataclass(frozen=True)
class DraftView:
    protocol_id: UUID
    name: str
    revision: int
    based_on: int  # the published version the draft started from (0: none)
    latest_version: int  # the protocol's latest published version now
    steps: tuple[Step, ...]
    saved_at: datetime
    saved_by: str


def draft_of(app: CallsApplication, protocol_id: UUID) -> DraftView | None:
    """The protocol's draft, or None when nobody is writing one."""
    protocol = app.get(protocol_id, Protocol)
    d = protocol.draft
    if d is None:
        return None
    return DraftView(protocol.id, protocol.name, d.revision, d.based_on, len(protocol.versions), d.steps,
                     d.saved_at, d.saved_by)


def save_draft(app: CallsApplication, protocol_id: UUID, steps: list[dict[str, Any]], loaded: int | None, *, by: Actor,
         once: PendingRequest | None) -> int:
    protocol = app.get(protocol_id, Protocol)
    revision = protocol.save_draft(steps, loaded, saved_at=app.clock.now(), saved_by=by.label)
    app.save(protocol, once=once)
    return revision


def discard_draft(app: CallsApplication, protocol_id: UUID, loaded: int, *, by: Actor,
            once: PendingRequest | None) -> None:
    protocol = app.get(protocol_id, Protocol)
    protocol.discard_draft(loaded, discarded_at=app.clock.now(), discarded_by=by.label)
    app.save(protocol, once=once)


def publish_draft(app: CallsApplication, protocol_id: UUID, loaded: int, *, by: Actor,
            once: PendingRequest | None) -> int:
    protocol = app.get(protocol_id, Protocol)
    version = protocol.publish_draft(loaded, published_at=app.clock.now(), published_by=by.label)
    app.save(protocol, once=once)
    return version
