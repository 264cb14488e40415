"""Mailing: a campaign's e-mail step ("tell donors about Natale 2026"): which template, each send started, the
audience it found, the relay waiting, the end. One message per recipient is a Delivery of its own; the mailing
holds only what concerns it as a whole, so it stays small whatever the audience.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput

EXCLUSIONS = ("no_consent", "unsubscribed", "on_hold", "no_address", "erased")


class MailingNotValid(InvalidInput):
    pass


class MailingAlreadySending(DomainError):
    status_code = 409


class Mailing(Aggregate):
    @event("Created")
    def __init__(self, campaign_id: UUID, template_id: UUID, name: str, created_at: datetime,
                 created_by: str) -> None:
        self.campaign_id = campaign_id
        self.template_id = template_id
        self.name = name
        self.created_at = created_at
        self.template_version: int | None = None
        self.sending = False
        self.started_at: datetime | None = None
        self.finished_at: datetime | None = None
        self.sends = 0
        self.audience = 0
        self.excluded: dict[str, int] = dict.fromkeys(EXCLUSIONS, 0)
        self.relay_waiting_since: datetime | None = None
        self.relay_error = ""
        self.queued_send = 0  # the send whose audience was queued

    @classmethod
    def create(cls, campaign_id: UUID, template_id: UUID, name: str, at: datetime, by: str) -> Mailing:
        name = name.strip()
        if not 1 <= len(name) <= 120:
            raise MailingNotValid(f"a mailing's name has 1 to 120 characters; got {len(name)}")
        return cls(campaign_id, template_id, name, at, by)

    @property
    def list_id(self) -> str:
        """The list a recipient unsubscribes from: the campaign's mailings."""
        return f"campaign:{self.campaign_id}"

    @property
    def status(self) -> str:
        if self.sending:
            return "sending"
        return "sent" if self.finished_at is not None else "draft"

    def start(self, version: int, at: datetime, by: str) -> None:
        if self.sending:
            raise MailingAlreadySending(f"mailing {self.id} is already being sent")
        self._started(version, at, by)

    @event("SendStarted")
    def _started(self, version: int, at: datetime, by: str) -> None:
        self.template_version = version
        self.sending = True
        self.sends += 1
        self.started_at = self.started_at or at
        self.finished_at = None

    @event("AudienceQueued")
    def queued(self, audience: int, excluded: dict[str, int], at: datetime) -> None:
        self.audience = audience
        self.queued_send = self.sends
        self.excluded = {k: int(excluded.get(k, 0)) for k in EXCLUSIONS}

    def relay_down(self, error: str, at: datetime) -> None:
        if self.relay_waiting_since is None:
            self._relay_waiting(error, at)

    @event("RelayWaiting")
    def _relay_waiting(self, error: str, at: datetime) -> None:
        self.relay_waiting_since = at
        self.relay_error = error

    def relay_up(self, at: datetime) -> None:
        if self.relay_waiting_since is not None:
            self._relay_back(at)

    @event("RelayBack")
    def _relay_back(self, at: datetime) -> None:
        self.relay_waiting_since = None
        self.relay_error = ""

    @event("Finished")
    def finish(self, at: datetime) -> None:
        self.sending = False
        self.finished_at = at
        self.relay_waiting_since = None
        self.relay_error = ""


_MAILING_INDEX = UUID("6d2f4c1e-8a3b-5f7e-9c0d-1b2a3e4f5a6b")


class MailingIndex(Aggregate):
    """Every mailing's id with its campaign, oldest first: the lists of mailings read it, not the event log."""

    @staticmethod
    def create_id() -> UUID:
        return _MAILING_INDEX

    @event("Opened")
    def __init__(self) -> None:
        self.mailings: list[tuple[str, str]] = []  # (mailing id, campaign id)

    @event("Listed")
    def add(self, mailing_id: str, campaign_id: str) -> None:
        self.mailings.append((mailing_id, campaign_id))

    def of(self, campaign_id: UUID | None) -> list[UUID]:
        return [UUID(m) for m, c in self.mailings if campaign_id is None or c == str(campaign_id)]
