"""Protocol routes: experts publish versioned steps and questions; calls follow one version."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field

from services.calls.api.dependency import Calls
from services.calls.domain.protocol import ProtocolVersion
from services.kernel.idempotency import Once

router = APIRouter(tags=["protocols"])


class StepIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=40)
    question: str = Field(min_length=1, max_length=1000)
    choices: list[str] = Field(default_factory=list, max_length=20)
    redirect_when: str | None = None
    redirect_to: str | None = Field(default=None, description="a directory category, e.g. health")


class ProtocolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=120)
    steps: list[StepIn] = Field(min_length=1, max_length=100)


class VersionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    steps: list[StepIn] = Field(min_length=1, max_length=100)


class ProtocolListed(BaseModel):
    id: UUID
    name: str
    versions: list[int] = Field(description="the published versions, oldest first")
    latest_version: int


class ProtocolOut(BaseModel):
    id: UUID
    name: str
    version: int
    steps: list[StepIn]


@router.post("/protocols", status_code=201)
def create_protocol(body: ProtocolRequest, calls: Calls, once: Once) -> ProtocolOut:
    """Create a protocol and publish its first version."""
    protocol_id = calls.create_protocol(body.name, [s.model_dump() for s in body.steps], once=once)
    return protocol_out(calls.protocol(protocol_id))


@router.post("/protocols/{protocol_id}/versions", status_code=201)
def publish_version(protocol_id: UUID, body: VersionRequest, calls: Calls, once: Once) -> ProtocolOut:
    """Publish a new version; calls already following an older one keep it."""
    version = calls.publish_protocol(protocol_id, [s.model_dump() for s in body.steps], once=once)
    return protocol_out(calls.protocol(protocol_id, version))


@router.get("/protocols")
def list_protocols(calls: Calls) -> list[ProtocolListed]:
    """Every protocol with its published versions, by name; read a version's steps with GET /protocols/{id}."""
    return [ProtocolListed(id=p.id, name=p.name, versions=list(range(1, p.versions + 1)), latest_version=p.versions)
            for p in calls.protocols()]


@router.get("/protocols/{protocol_id}")
def get_protocol(protocol_id: UUID, calls: Calls,
                 version: Annotated[int | None, Query(ge=1, le=1_000_000, description="latest when omitted")] = None,
                 ) -> ProtocolOut:
    """A published version of a protocol (the latest by default)."""
    return protocol_out(calls.protocol(protocol_id, version))


def protocol_out(view: ProtocolVersion) -> ProtocolOut:
    return ProtocolOut(id=UUID(view.protocol_id), name=view.name, version=view.version,
                       steps=[StepIn(**s.as_dict()) for s in view.steps])
