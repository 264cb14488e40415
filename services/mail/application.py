"""The mail service's application: templates, people's e-mail choices (consent, unsubscribes), campaign mailings,
bounces and holds, and the way out (relay or outbox). Use cases are get → act → save with the acting person and
`once` explicit; the modules named below hold each concept's use cases as functions of this application.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from aiosmtpd.controller import Controller

from services.kernel.clock import Clock
from services.kernel.errors import NotFound
from services.kernel.settings import CharitySettings, MailSettings
from services.mail import tokens
from services.mail.bounce_endpoint import start_bounce_endpoint
from services.mail.domain.address import HoldPolicy
from services.mail.holds import AddressHolds
from services.mail.receipts import NoReceipts, Receipts
from services.mail.transport import Outbox, Relay, Transport, transport
from services.privacy.application import PrivacyVault

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Member:
    """One contact of a campaign as a mailing sees it: the person (the vault's id) and how the contact stands."""

    contact_id: UUID
    person_id: UUID
    closed_reason: str  # "" while open; "pledged" once the person pledged on the phone or by e-mail reply


class Campaigns(Protocol):
    """What a mailing reads of the campaigns service (the composition root adapts the campaigns application)."""

    def name(self, campaign_id: UUID) -> str:
        """The campaign's name; NotFound for an unknown campaign."""

    def members(self, campaign_id: UUID, after: UUID | None, limit: int) -> Sequence[Member]:
        """A page of the campaign's contacts in contact-id order after `after`."""


class NoCampaigns:
    """Before the composition root wires the campaigns service (unit tests of templates or bounces)."""

    def name(self, campaign_id: UUID) -> str:
        raise NotFound(f"campaign {campaign_id} not found")

    def members(self, campaign_id: UUID, after: UUID | None, limit: int) -> Sequence[Member]:
        return ()


class MailApplication(AddressHolds):
    """E-mail, the second channel: one event store for templates, choices, mailings, deliveries and addresses."""

    def __init__(self, env: dict[str, str], vault: PrivacyVault, settings: MailSettings, token_key: bytes,
                 charity: CharitySettings | None = None, clock: Clock | None = None,
                 policy: HoldPolicy | None = None) -> None:
        super().__init__(env, clock, policy)
        self.vault = vault
        self.settings = settings
        self.charity = charity or CharitySettings()
        self.token_key = token_key
        self.campaigns: Campaigns = NoCampaigns()
        self.receipts: Receipts = NoReceipts()  # the read side's receipts, wired by services.main
        from services.mail.mailings import Runner
        self.runner = Runner(self)
        self._inbound: Controller | None = None

    def open_inbound(self) -> None:
        """Listen for bounces and unsubscribe replies (ANGELI_MAIL_INBOUND_PORT; nothing when it is 0)."""
        from services.mail import people
        if self.settings.inbound_port and self._inbound is None:
            self._inbound = start_bounce_endpoint(
                self.settings.inbound_host, self.settings.inbound_port, self.settings.bounce_domain,
                lambda bounce: people.bounce(self, bounce),
                unsubscribe=lambda token: self._unsubscribe_by_mail(token))
            log.info("mail: bounces and unsubscribe replies received on %s:%d", self.settings.inbound_host,
                     self.settings.inbound_port)

    def _unsubscribe_by_mail(self, token: str) -> None:
        from services.mail import people
        try:
            people.unsubscribe(self, token, "mailto")
        except tokens.InvalidToken as error:
            log.warning("unsubscribe reply dropped, its token is not valid: %s", error)

    def close(self) -> None:
        self.runner.stop()
        if self._inbound is not None:
            self._inbound.stop()
            self._inbound = None
        super().close()

    def transport(self) -> Relay | Outbox:
        """A new way out for one run of sends (a relay connection is not shared between threads)."""
        return transport(self.settings, clock=self.clock)

    def outbox(self) -> Outbox | None:
        """The local outbox the console lists, when no relay is set."""
        way = transport(self.settings, clock=self.clock)
        return way if isinstance(way, Outbox) else None

    def verify(self, token: str, purpose: tokens.Purpose) -> tokens.Claims:
        return tokens.verify(self.token_key, token, purpose)


__all__ = ["Campaigns", "MailApplication", "Member", "NoCampaigns", "Transport"]
