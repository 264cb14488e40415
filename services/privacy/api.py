"""Data-protection routes for administrators: access trail, subject export, consent records, erasure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import require
from services.identity.domain import Actor, Role
from services.kernel.clock import AwareInstant
from services.kernel.readmodel import ReadStore
from services.privacy import trail as access_trail
from services.privacy.application import PrivacyVault
from services.privacy.domain import Consent

router = APIRouter(prefix="/privacy", tags=["privacy"])
Administrator = Annotated[Actor, Depends(require(Role.ADMINISTRATOR))]


def _vault(request: Request) -> PrivacyVault:
    vault: PrivacyVault = request.app.state.vault
    return vault


Vault = Annotated[PrivacyVault, Depends(_vault)]


def _access_log(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores[access_trail.PROJECTION.name]
    return store


AccessLog = Annotated[ReadStore, Depends(_access_log)]


def _subject_records(request: Request) -> dict[str, Callable[[UUID], dict[str, Any]]]:
    records: dict[str, Callable[[UUID], dict[str, Any]]] = getattr(request.app.state, "subject_records", {})
    return records


SubjectRecords = Annotated[dict[str, Callable[[UUID], dict[str, Any]]], Depends(_subject_records)]


class Access(BaseModel):
    access_id: str
    at: str
    person_id: str
    actor: str
    role: str
    purpose: str
    outcome: str = Field(description="read, erased (the person was erased) or absent (nothing held)")
    fields: list[str] = Field(description="names of the fields shown (never their values)")


class NewConsent(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: str = Field(min_length=1, max_length=80, pattern=r"^[a-z][a-z0-9_]*$",
                         description="what the person agreed to, e.g. phone_outreach")
    source: str = Field(min_length=1, max_length=200, description="where it was given, e.g. web_form_2026")
    given_at: AwareInstant
    expires_at: AwareInstant | None = None


class ConsentOut(BaseModel):
    consent_id: UUID
    person_id: UUID
    purpose: str
    source: str
    given_at: datetime
    expires_at: datetime | None
    recorded_at: str
    recorded_by: str


class Erasure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500, description="why, e.g. the person's erasure request of 20 Nov")


class Erased(BaseModel):
    person_id: UUID
    erased: bool


@router.get("/access-log")
def access_log(_admin: Administrator, log: AccessLog, person_id: UUID | None = None,
               limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> list[Access]:
    """Who read which fields of personal data, when and why; newest first, optionally for one person."""
    return [Access(**row) for row in access_trail.accesses(log, person_id, limit)]


@router.get("/persons/{person_id}/export")
def export_person(person_id: UUID, admin: Administrator, vault: Vault, log: AccessLog,
                  services: SubjectRecords) -> dict[str, Any]:
    """Everything held about a person, for an access or portability request, with who read their data."""
    held = {name: records for name, read in services.items() if (records := read(person_id))}
    return {**vault.export(person_id, admin), "services": held,
            "accesses": access_trail.accesses(log, person_id, limit=10_000)}


@router.post("/persons/{person_id}/consents", status_code=201)
def record_consent(person_id: UUID, body: NewConsent, admin: Administrator, vault: Vault) -> ConsentOut:
    """Record a consent: purpose, where it was given, when, and until when."""
    return _consent(vault.record_consent(person_id, body.purpose, body.source, body.given_at, body.expires_at,
                                         by=admin))


@router.get("/persons/{person_id}/consents")
def list_consents(person_id: UUID, _admin: Administrator, vault: Vault) -> list[ConsentOut]:
    """A person's consent records, oldest first."""
    return [_consent(c) for c in vault.consents(person_id)]


@router.post("/persons/{person_id}/erase")
def erase_person(person_id: UUID, body: Erasure, admin: Administrator, vault: Vault) -> Erased:
    """Erase a person's data for good (crypto-shredding); who and why are kept."""
    vault.erase(person_id, vault.clock.now(), admin.label, body.reason)
    return Erased(person_id=person_id, erased=True)


def _consent(consent: Consent) -> ConsentOut:
    return ConsentOut(consent_id=consent.consent_id, person_id=consent.person_id, purpose=consent.purpose,
                      source=consent.source, given_at=consent.given_at, expires_at=consent.expires_at,
                      recorded_at=consent.recorded_at, recorded_by=consent.recorded_by)
