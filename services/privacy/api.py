"""Data-protection routes for administrators: access trail, subject export, consent records, erasure; auditors
may read the access trail (GET /privacy/access), which holds ids, roles, purposes and field names, never values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import require
from services.identity.domain import Actor, Role
from services.kernel.clock import AwareInstant, Day
from services.kernel.errors import InvalidInput
from services.kernel.readmodel import ReadStore
from services.privacy import trail as access_trail
from services.privacy.application import PrivacyVault
from services.privacy.domain import Consent, UnknownPerson

router = APIRouter(prefix="/privacy", tags=["privacy"])
Administrator = Annotated[Actor, Depends(require(Role.ADMINISTRATOR))]
Auditor = Annotated[Actor, Depends(require(Role.AUDITOR))]  # auditors and administrators
ROME = ZoneInfo("Europe/Rome")  # the trail's date filters are the centre's days


async def _vault(request: Request) -> PrivacyVault:
    vault: PrivacyVault = request.app.state.vault
    return vault


Vault = Annotated[PrivacyVault, Depends(_vault)]


async def _access_log(request: Request) -> ReadStore:
    store: ReadStore = request.app.state.read_stores[access_trail.PROJECTION.name]
    return store


AccessLog = Annotated[ReadStore, Depends(_access_log)]


async def _subject_records(request: Request) -> dict[str, Callable[[UUID], dict[str, Any]]]:
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
    expires_at: AwareInstant | None = Field(None, description="none: valid until withdrawn; else after given_at "
                                                              "and not in the past")
    channel: str = Field("any", max_length=20, description="phone, email, post, sms or any")
    text_version: str = Field("", max_length=40, pattern=r"^[\w.\- /]*$",
                              description="the version of the consent text the person agreed to, e.g. 2026-1")


class ConsentOut(BaseModel):
    consent_id: UUID
    person_id: UUID
    purpose: str
    channel: str
    text_version: str = Field(description="empty for consents recorded before text versions were kept")
    source: str
    given_at: datetime
    expires_at: datetime | None = Field(description="none: valid until withdrawn")
    recorded_at: str
    recorded_by: str
    withdrawn_at: datetime | None
    withdrawn_by: str | None
    withdrawal_source: str | None
    status: str = Field(description="now: active, not_yet_valid, expired or withdrawn")


class Withdrawal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source: str = Field(min_length=3, max_length=200,
                        description="how the person withdrew, e.g. phone call to the office")
    withdrawn_at: AwareInstant | None = Field(None, description="when; none: now. Not before the consent, not future")


class Erasure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=3, max_length=500, description="why, e.g. the person's erasure request of 20 Nov")
    confirmation: str = Field("", max_length=100, description="the person's id typed again: nothing is erased without")


class Erased(BaseModel):
    person_id: UUID
    erased: bool
    erased_at: str | None = None
    erased_by: str | None = None
    reason: str | None = None


class ErasureOut(BaseModel):
    erased_at: str
    erased_by: str
    reason: str


class PersonOut(BaseModel):
    person_id: UUID
    holds_data: bool = Field(description="personal data is held (it is not shown here: see the export)")
    erased: bool
    erasure: ErasureOut | None
    consents: list[ConsentOut]


class AccessPage(BaseModel):
    accesses: list[Access]
    total: int = Field(description="how many accesses match the filters in all")
    offset: int
    limit: int
    next_offset: int | None = Field(description="the offset of the next page; none on the last")


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
    if not held and not vault.knows(person_id):
        raise UnknownPerson(f"no one is held under the id {person_id}: check the id (a donor's or a volunteer's)")
    return {**vault.export(person_id, admin), "services": held,
            "accesses": access_trail.accesses(log, person_id, limit=10_000)}


@router.post("/persons/{person_id}/consents", status_code=201)
def record_consent(person_id: UUID, body: NewConsent, admin: Administrator, vault: Vault) -> ConsentOut:
    """Record a consent: purpose, channel, text version, where it was given, when, and until when."""
    consent = vault.record_consent(person_id, body.purpose, body.source, body.given_at, body.expires_at, by=admin,
                                   channel=body.channel, text_version=body.text_version.strip())
    return _consent(consent, vault.clock.now())


@router.get("/persons/{person_id}/consents")
def list_consents(person_id: UUID, _admin: Administrator, vault: Vault) -> list[ConsentOut]:
    """A person's consent records, oldest first."""
    now = vault.clock.now()
    return [_consent(c, now) for c in vault.consents(person_id)]


@router.post("/persons/{person_id}/consents/{consent_id}/withdraw")
def withdraw_consent(person_id: UUID, consent_id: UUID, body: Withdrawal, admin: Administrator,
                     vault: Vault) -> ConsentOut:
    """Record that the person withdrew a consent (when, and how they said so); the consent stays on record."""
    consent = vault.withdraw_consent(person_id, consent_id, body.withdrawn_at or vault.clock.now(),
                                     body.source.strip(), by=admin)
    return _consent(consent, vault.clock.now())


@router.get("/persons/{person_id}")
def person_on_file(person_id: UUID, _admin: Administrator, vault: Vault) -> PersonOut:
    """What is on file for a person, their data aside: whether data is held, the erasure, the consents."""
    held, now = vault.on_file(person_id), vault.clock.now()
    return PersonOut(person_id=person_id, holds_data=held.holds_data, erased=held.erasure is not None,
                     erasure=ErasureOut(**held.erasure) if held.erasure else None,
                     consents=[_consent(c, now) for c in held.consents])


@router.post("/persons/{person_id}/erase")
def erase_person(person_id: UUID, body: Erasure, admin: Administrator, vault: Vault) -> Erased:
    """Erase a person's data for good (crypto-shredding), confirmed by their id typed again; who and why are kept."""
    erasure = vault.request_erasure(person_id, body.reason.strip(), body.confirmation, by=admin)
    return Erased(person_id=person_id, erased=True, **erasure)


@router.get("/access")
def search_access(_auditor: Auditor, log: AccessLog, person_id: UUID | None = None,
                  actor: Annotated[str, Query(max_length=120, description="words in the actor's label")] = "",
                  purpose: Annotated[str, Query(max_length=200, description="words in the purpose")] = "",
                  since: Annotated[Day | None, Query(alias="from", description="first day (Rome)")] = None,
                  until: Annotated[Day | None, Query(alias="to", description="last day (Rome), included")] = None,
                  offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                  limit: Annotated[int, Query(ge=1, le=200)] = 50) -> AccessPage:
    """The access trail filtered by person, actor, purpose and days, newest first, a page at a time."""
    if since and until and since > until:
        raise InvalidInput(f"from ({since.isoformat()}) is after to ({until.isoformat()}): swap them")
    rows, total = access_trail.search(
        log, person_id=person_id, actor=actor.strip(), purpose=purpose.strip(), offset=offset, limit=limit,
        since=_start_of(since) if since else None, until=_start_of(until + timedelta(days=1)) if until else None)
    following = offset + len(rows)
    return AccessPage(accesses=[Access(**row) for row in rows], total=total, offset=offset, limit=limit,
                      next_offset=following if following < total else None)


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), ROME)


def _consent(consent: Consent, now: datetime) -> ConsentOut:
    return ConsentOut(consent_id=consent.consent_id, person_id=consent.person_id, purpose=consent.purpose,
                      channel=consent.channel, text_version=consent.text_version, source=consent.source,
                      given_at=consent.given_at, expires_at=consent.expires_at, recorded_at=consent.recorded_at,
                      recorded_by=consent.recorded_by, withdrawn_at=consent.withdrawn_at,
                      withdrawn_by=consent.withdrawn_by, withdrawal_source=consent.withdrawal_source,
                      status=consent.status(now))
