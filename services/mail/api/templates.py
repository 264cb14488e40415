"""Template routes: list, create, read one with its versions, publish a version, rename, retire, and preview a draft
with a real person's merge data (or sample data) before publishing it."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.identity.auth import CurrentUser
from services.kernel.idempotency import Once
from services.mail import template_desk
from services.mail import template_library as library
from services.mail.api.dependency import Mail
from services.mail.domain.template import TemplateVersion
from services.mail.rendering import MissingMergeField

router = APIRouter(tags=["mail templates"])

# Bounds of the request itself, above the domain's own (200 characters of subject, 200 KB a part), so that the
# domain's error, which says what to fix, is the one a person sees.
SUBJECT_CHARS = 1_000
PART_CHARS = 400_000
KindIn = Literal["marketing", "transactional"]


class TemplateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=400, description="1 to 120 characters on one line, e.g. Natale 2026")
    kind: KindIn = Field(description="marketing (consent and an unsubscribe link needed) or transactional")


class VersionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(max_length=SUBJECT_CHARS)
    html: str = Field(max_length=PART_CHARS)
    text: str = Field(max_length=PART_CHARS)


class RenameRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(max_length=400)


class PreviewRequest(VersionRequest):
    person_id: UUID | None = Field(default=None, description="a donor or campaign contact; sample data when absent")
    campaign: str = Field(default="", max_length=120, description="the campaign name to merge (Natale 2026 if empty)")


class TemplateListed(BaseModel):
    id: UUID
    name: str
    kind: KindIn
    versions: int
    retired: bool


class VersionOut(BaseModel):
    number: int
    subject: str
    html: str
    text: str
    fields: list[str] = Field(description="the merge fields the version uses")
    published_at: datetime
    published_by: str


class TemplateOut(BaseModel):
    id: UUID
    name: str
    kind: KindIn
    retired: bool
    created_at: datetime
    retired_at: datetime | None
    versions: list[VersionOut] = Field(description="oldest first; the last one is what new mail is sent with")


class PreviewOut(BaseModel):
    person_id: UUID | None = Field(description="null: merged with sample data")
    subject: str
    html: str
    text: str
    fields: list[str]
    missing: list[str] = Field(description="fields the record lacks that the draft uses only under a condition")
    publishable: bool
    problem: str = Field(description="why a publication would be refused as the draft stands; empty when none")


class MissingFieldOut(BaseModel):
    detail: str
    error: str
    field: str
    part: Literal["subject", "html", "text"]


@router.get("/mail/templates")
def list_templates(mail: Mail) -> list[TemplateListed]:
    """Every e-mail template by name, retired ones last."""
    return [TemplateListed(id=s.id, name=s.name, kind=s.kind.value, versions=s.versions, retired=s.retired)
            for s in library.templates(mail)]


@router.post("/mail/templates", status_code=201)
def create_template(body: TemplateRequest, mail: Mail, user: CurrentUser, once: Once) -> TemplateOut:
    """Create a template; it sends nothing until a version is published."""
    template_id = library.create(mail, body.name, body.kind, by=user, once=once)
    return template_out(template_desk.template(mail, template_id))


@router.get("/mail/templates/{template_id}")
def get_template(template_id: UUID, mail: Mail) -> TemplateOut:
    """A template with every published version."""
    return template_out(template_desk.template(mail, template_id))


@router.post("/mail/templates/{template_id}/versions", status_code=201)
def publish_version(template_id: UUID, body: VersionRequest, mail: Mail, user: CurrentUser,
                    once: Once) -> TemplateOut:
    """Publish the next version (checked: syntax, sizes, the postal address and, in marketing, the unsubscribe
    link in both parts)."""
    library.publish(mail, template_id, body.subject, body.html, body.text, by=user, once=once)
    return template_out(template_desk.template(mail, template_id))


@router.post("/mail/templates/{template_id}/rename")
def rename_template(template_id: UUID, body: RenameRequest, mail: Mail, user: CurrentUser,
                    once: Once) -> TemplateOut:
    """Rename a template; its versions keep their content."""
    library.rename(mail, template_id, body.name, by=user, once=once)
    return template_out(template_desk.template(mail, template_id))


@router.post("/mail/templates/{template_id}/retire")
def retire_template(template_id: UUID, mail: Mail, user: CurrentUser, once: Once) -> TemplateOut:
    """Retire a template: its versions stay readable, nothing new is sent with it."""
    library.retire(mail, template_id, by=user, once=once)
    return template_out(template_desk.template(mail, template_id))


@router.post("/mail/templates/{template_id}/preview", response_model=PreviewOut,
             responses={422: {"model": MissingFieldOut, "description": "a merge field the record lacks, or a part "
                                                                       "that cannot be parsed"}})
def preview_draft(template_id: UUID, body: PreviewRequest, mail: Mail, user: CurrentUser) -> PreviewOut | JSONResponse:
    """Render a draft (not published) with a person's merge data from the vault (an access with purpose e-mail),
    or with sample data; stores nothing."""
    try:
        found = template_desk.preview_draft(mail, template_id, body.subject, body.html, body.text,
                                            person_id=body.person_id, by=user, campaign=body.campaign.strip())
    except MissingMergeField as missing:  # the field and the part, for the editor to point at
        return JSONResponse(MissingFieldOut(detail=missing.message, error=type(missing).__name__, field=missing.field,
                                            part=missing.part).model_dump(), status_code=422)
    return PreviewOut(person_id=found.person_id, subject=found.rendered.subject, html=found.rendered.html,
                      text=found.rendered.text, fields=list(found.fields), missing=list(found.missing),
                      publishable=not found.problem, problem=found.problem)


def template_out(view: template_desk.TemplateView) -> TemplateOut:
    return TemplateOut(id=view.id, name=view.name, kind=view.kind.value, retired=view.retired_at is not None,
                       created_at=view.created_at, retired_at=view.retired_at,
                       versions=[version_out(v) for v in view.versions])


def version_out(version: TemplateVersion) -> VersionOut:
    c = version.content
    return VersionOut(number=version.number, subject=c.subject, html=c.html, text=c.text,
                      fields=version.merge_fields(), published_at=version.published_at,
                      published_by=version.published_by)

