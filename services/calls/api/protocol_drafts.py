"""Protocol draft routes: the next version written on the server, shared by its editors (experts, coordinators).

A draft is saved over the revision the editor loaded (`revision`; null for a new draft) and refused with 409 when
someone saved, discarded or published it since. Helpline volunteers never see drafts: only published versions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import Calls, rome
from services.calls.api.protocols import ProtocolOut, protocol_out
from services.calls.protocol_drafts import DraftView
from services.identity.auth import CurrentAccess
from services.kernel.idempotency import Once

router = APIRouter(tags=["protocols"])


class DraftStepIn(BaseModel):
    """A step as written so far: the question may still be empty and a redirect half-written (not when published)."""

    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=40)
    question: str = Field(default="", max_length=1000)
    choices: list[str] = Field(default_factory=list, max_length=20)
    redirect_when: str | None = Field(default=None, max_length=200)
    redirect_to: str | None = Field(default=None, max_length=60, description="a directory category, e.g. health")


class DraftRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int | None = Field(ge=1, le=1_000_000_000, description="the draft revision you loaded and edited; "
                                 "null to start a new draft (refused if one exists)")
    steps: list[DraftStepIn] = Field(min_length=1, max_length=100)


class DraftAct(BaseModel):
    model_config = ConfigDict(extra="forbid")
    revision: int = Field(ge=1, le=1_000_000_000, description="the draft revision you loaded")


class DraftOut(BaseModel):
    protocol_id: UUID
    name: str
    revision: int
    based_on: int = Field(description="the published version the draft started from")
    latest_version: int = Field(description="the latest published version now (newer than based_on if one was "
                                            "published meanwhile)")
    steps: list[DraftStepIn]
    saved_at: datetime
    saved_by: str = Field(description="who saved this revision (account:e-mail)")


@router.get("/protocols/{protocol_id}/draft")
def get_draft(protocol_id: UUID, calls: Calls) -> DraftOut | None:
    """The draft of the protocol's next version (null when nobody is writing one)."""
    view = calls.protocol_draft(protocol_id)
    return None if view is None else draft_out(view)


@router.put("/protocols/{protocol_id}/draft")
def save_draft(protocol_id: UUID, body: DraftRequest, calls: Calls, access: CurrentAccess, once: Once) -> DraftOut:
    """Save the draft over the revision you loaded; 409 with the reason when it changed since."""
    calls.save_protocol_draft(protocol_id, [s.model_dump() for s in body.steps], body.revision,
                              by=access.actor, once=once)
    return _current(calls, protocol_id)


@router.delete("/protocols/{protocol_id}/draft", status_code=204)
def discard_draft(protocol_id: UUID, calls: Calls, access: CurrentAccess, once: Once,
                  revision: Annotated[int, Query(ge=1, le=1_000_000_000, description="the revision you loaded")],
                  ) -> None:
    """Discard the draft you loaded; 409 when it changed since."""
    calls.discard_protocol_draft(protocol_id, revision, by=access.actor, once=once)


@router.post("/protocols/{protocol_id}/draft/publish", status_code=201)
def publish_draft(protocol_id: UUID, body: DraftAct, calls: Calls, access: CurrentAccess, once: Once
                  ) -> ProtocolOut:
    """Publish the draft you loaded as the next read-only version (it must be finished); calls keep theirs."""
    version = calls.publish_protocol_draft(protocol_id, body.revision, by=access.actor, once=once)
    return protocol_out(calls.protocol(protocol_id, version))


def _current(calls: Calls, protocol_id: UUID) -> DraftOut:
    view = calls.protocol_draft(protocol_id)
    assert view is not None  # just saved
    return draft_out(view)


def draft_out(v: DraftView) -> DraftOut:
    return DraftOut(protocol_id=v.protocol_id, name=v.name, revision=v.revision, based_on=v.based_on,
                    latest_version=v.latest_version, steps=[DraftStepIn(**s.as_dict()) for s in v.steps],
                    saved_at=rome(v.saved_at) or v.saved_at, saved_by=v.saved_by)
