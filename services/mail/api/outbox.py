"""Outbox routes: the messages an installation with no relay wrote into its local folder, listed and opened. The
messages hold personal data (names, addresses, merged text): the roles that write mail read them, nobody else."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from services.mail import outbox_desk
from services.mail.api.dependency import Mail

router = APIRouter(tags=["mail outbox"])
_RELAY: dict[int | str, dict[str, Any]] = {
    409: {"description": "mail goes through the SMTP relay: there is no local outbox"}}


class LetterListed(BaseModel):
    name: str = Field(description="the message's file name, for GET /mail/outbox/{name}")
    at: datetime = Field(description="when the outbox received the message")
    sender: str
    to: str
    subject: str
    size: int = Field(description="bytes, as sent")


class AttachmentOut(BaseModel):
    filename: str
    content_type: str
    size: int


class LetterOut(BaseModel):
    name: str
    at: datetime
    size: int
    headers: list[tuple[str, str]] = Field(description="every header, in order")
    text: str | None = Field(description="the text part")
    html: str | None = Field(description="the HTML part: show it only in a sandboxed frame, never in a page")
    attachments: list[AttachmentOut]


@router.get("/mail/outbox", responses=_RELAY)
def list_outbox(mail: Mail, limit: Annotated[int, Query(ge=1, le=1000)] = 200) -> list[LetterListed]:
    """The newest messages of the local outbox (no relay configured), newest first."""
    return [LetterListed(name=x.name, at=x.at, sender=x.sender, to=x.to, subject=x.subject, size=x.size)
            for x in outbox_desk.letters(mail, limit)]


@router.get("/mail/outbox/{name}", responses=_RELAY)
def read_outbox(mail: Mail, name: Annotated[str, Path(max_length=120)]) -> LetterOut:
    """One message of the local outbox: headers, text part, HTML part and the attachments' names and sizes."""
    opened = outbox_desk.letter(mail, name)
    return LetterOut(name=opened.name, at=opened.at, size=opened.size, headers=list(opened.headers),
                     text=opened.text, html=opened.html,
                     attachments=[AttachmentOut(filename=a.filename, content_type=a.content_type, size=a.size)
                                  for a in opened.attachments])
