"""Dial: a volunteer's phone asked to call a number through the product, and the answer given at that moment —
allowed (for which leased contact, presenting which number) or refused (and why). Every dial instruction is one,
so the presented caller ID and every refusal are on the record. The dialled number itself is personal data: an
allowed dial names its contact, a refused one only why."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:campaigns:dial")


def dial_id(provider: str, call_id: str) -> UUID:
    return uuid5(_NAMESPACE, f"{provider}\n{call_id}")


class Dial(Aggregate):
    @classmethod
    def create_id(cls, provider: str, call_id: str, **_: Any) -> UUID:
        return dial_id(provider, call_id)

    @event("Asked")
    def __init__(self, provider: str, call_id: str, volunteer_id: str, asked_at: datetime) -> None:
        self.provider = provider
        self.call_id = call_id
        self.volunteer_id = volunteer_id
        self.allowed: bool | None = None
        self.code = ""
        self.reason = ""
        self.caller_id = ""
        self.campaign_id: str | None = None
        self.contact_id: str | None = None

    @event("Allowed")
    def allow(self, campaign_id: str, contact_id: str, caller_id: str, allowed_at: datetime) -> None:
        self.allowed = True
        self.campaign_id, self.contact_id, self.caller_id = campaign_id, contact_id, caller_id

    @event("Refused")
    def refuse(self, code: str, reason: str, refused_at: datetime, campaign_id: str | None = None,
               contact_id: str | None = None) -> None:
        self.allowed = False
        self.code, self.reason = code, reason
        self.campaign_id, self.contact_id = campaign_id, contact_id
