"""The composition root: every service, projection, feed and job of Angeli wired into one process (what runs
beside the API is `services.runtime`; what the process tells about itself, `services.health`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from uuid import UUID

from fastapi import Depends, FastAPI
from fastapi.staticfiles import StaticFiles

from services import health
from services.calls import main as calls
from services.campaigns import main as campaigns
from services.campaigns.application import CampaignsApplication
from services.console import main as console
from services.donations import main as donations
from services.identity import api as auth_api
from services.identity import main as identity
from services.identity.application import Identity
from services.identity.auth import enforce
from services.identity.cli import HINT
from services.identity.domain import Access
from services.identity.policy import POLICY
from services.kernel import logs
from services.kernel.catalog import ReadStores
from services.kernel.clock import Clock, ShiftedClock, SystemClock
from services.kernel.feed import EventFeed
from services.kernel.follower import ReactionSubscriber, Subscriber
from services.kernel.freshness import Unhandled
from services.kernel.http import create_api
from services.kernel.metrics import install as install_metrics
from services.kernel.settings import Settings
from services.kernel.wiring import Service
from services.mail import main as mail
from services.mail.application import MailApplication, Member
from services.mail.receipts import ReceiptFile
from services.privacy import main as privacy
from services.privacy.application import PrivacyVault
from services.privacy.domain import MasterKeyMismatch
from services.privacy.main import open_vault
from services.projections import (
    board_api,
    campaigns_api,
    console_api,
    hours_api,
    ledger,
    ledger_api,
    overdue_api,
    receipt_docs,
    receipt_files,
    regular_api,
)
from services.projections import main as projections
from services.runtime import Runtime

log = logging.getLogger(__name__)

# privacy: the vault's access trail, an event source like the others (its routes come with it).
SERVICE_BUILDERS = (calls.build, donations.build, campaigns.build, privacy.build, mail.build)  # mail: e-mail

DESCRIPTION = (
    "Angeli runs a volunteer contact centre for a charity: volunteers and shifts, helpline and campaign "
    "calls, pledges and payments, and a verifiable donation ledger. Every change is an immutable event."
)


@dataclass
class Product:
    """Every part of one process, built from settings; its runtime runs the feeds and jobs beside the API."""

    settings: Settings
    clock: Clock
    vault: PrivacyVault
    services: dict[str, Service]
    read_stores: ReadStores
    reactions: list[ReactionSubscriber]
    feeds: dict[str, EventFeed]
    identity: Identity | None = None
    runtime: Runtime = field(init=False)
    _closed: bool = False

    def __post_init__(self) -> None:
        self.runtime = Runtime(self.settings, self.services, self.read_stores, self.reactions, self.feeds)

    # The runtime's doors that tests, the demo and the shell commands use most, kept on the product.
    @property
    def subscribers(self) -> list[Subscriber]:
        return self.runtime.subscribers

    def start(self) -> None:
        self.runtime.start()
        mail_app = self.services["mail"].application
        if self.settings.run_jobs and isinstance(mail_app, MailApplication):
            mail_app.open_inbound()  # mail: bounces and unsubscribe replies

    def catch_up(self) -> int:
        return self.runtime.catch_up()

    def unhandled(self) -> dict[tuple[str, str], Unhandled]:
        return self.runtime.unhandled()

    def stop(self) -> None:
        """Stop what runs and close the stores; a second call does nothing more."""
        if self._closed:
            return
        self._closed = True
        self.runtime.stop()
        for service in self.services.values():
            service.application.close()
        self.read_stores.close()
        self.vault.store.close()
        if self.identity is not None:
            self.identity.store.close()


def build(settings: Settings, clock: Clock | None = None) -> Product:
    if clock is None:
        clock = ShiftedClock(settings.clock_start) if settings.clock_start else SystemClock()
    vault = open_vault(settings, clock)
    services = {s.name: s for s in (builder(settings, clock, vault) for builder in SERVICE_BUILDERS)}
    wire_ports(services)
    read_stores = projections.build(settings)
    wire_receipts(services, read_stores, vault, settings)
    reactions = [ReactionSubscriber(r) for s in services.values() for r in s.reactions]
    feeds = {name: EventFeed(name, s.application) for name, s in services.items()}
    return Product(settings, clock, vault, services, read_stores, reactions, feeds, identity.build(settings, clock))


class CampaignMembers:
    """The mail service's view of the campaigns service: a campaign's name and its contacts, page by page."""

    def __init__(self, campaigns: CampaignsApplication) -> None:
        self._campaigns = campaigns

    def name(self, campaign_id: UUID) -> str:
        return self._campaigns.campaign(campaign_id).name

    def members(self, campaign_id: UUID, after: UUID | None, limit: int) -> list[Member]:
        return [Member(c.contact_id, c.person_id, c.closed_reason)
                for c in self._campaigns.contacts(campaign_id, None, after, limit)]


def wire_ports(services: dict[str, Service]) -> None:
    """What one service reads of another through a port it declares, adapted here and nowhere else."""
    mail_app, campaigns_app = services["mail"].application, services["campaigns"].application
    assert isinstance(mail_app, MailApplication) and isinstance(campaigns_app, CampaignsApplication)
    mail_app.campaigns = CampaignMembers(campaigns_app)


def create_api_for(product: Product) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_api: FastAPI) -> AsyncIterator[None]:
        product.start()
        settings = product.settings
        pg = settings.postgres
        where = (settings.data_dir.resolve() if settings.mode == "embedded"
                 else f"PostgreSQL {pg.host}:{pg.port}/{pg.dbname}, Kafka {settings.kafka_bootstrap}")
        log.info("angeli started: %s mode, data in %s; feeds %s, jobs %s", settings.mode, where,
                 "on" if settings.run_feeds else "off", "on" if settings.run_jobs else "off")
        try:
            yield
        finally:
            product.stop()

    api = create_api(
        "Angeli",
        [regular_api.router,  # first: /commitments/expected-income before the donations' /commitments/{commitment_id}
         *(s.router for s in product.services.values()), projections.router, hours_api.router, ledger_api.router,
         campaigns_api.router, auth_api.router, console_api.router, board_api.router, *console.ROUTERS,
         overdue_api.router],  # gifts
        health.checks(product.runtime),
        lambda: [s.application for s in product.services.values()],
        DESCRIPTION,
        dependencies=[Depends(enforce(POLICY))],
    )
    api.router.lifespan_context = lifespan
    api.mount("/console/static", StaticFiles(directory=console.STATIC), name="console-static")
    install_metrics(api, health.gauges(product.runtime))
    api.state.applications = {name: s.application for name, s in product.services.items()}
    api.state.read_stores = product.read_stores
    api.state.unhandled = product.unhandled()
    api.state.vault = product.vault
    api.state.subject_records = {name: s.subject_records for name, s in product.services.items() if s.subject_records}
    api.state.identity = product.identity
    api.state.product = product
    return api


def create_app(settings: Settings | None = None) -> FastAPI:
    """uvicorn factory: `uvicorn --factory services.main:create_app` (settings from the environment), or the
    app of the settings a process role was given. Nothing connects at import."""
    logs.configure()
    try:
        product = build(settings or Settings.from_env())
    except MasterKeyMismatch as mismatch:
        log.error("cannot open the privacy vault: %s", mismatch)
        raise SystemExit(2) from None
    if product.identity is not None and not product.identity.has_administrator():
        log.warning(HINT)
    return create_api_for(product)


# thank-you letters
def wire_receipts(services: dict[str, Service], read_stores: ReadStores, vault: PrivacyVault,
                  settings: Settings) -> None:
    """The mail service's receipts port: the read side's numbered receipts and their PDF (once the stores exist)."""
    mail_app = services["mail"].application
    assert isinstance(mail_app, MailApplication)
    stores = receipt_docs.Stores(read_stores["transparency"], read_stores["ledger"], ledger.partitions_of(settings))
    mail_app.receipts = ReadSideReceipts(stores, vault, settings)


class ReadSideReceipts:
    def __init__(self, stores: receipt_docs.Stores, vault: PrivacyVault, settings: Settings) -> None:
        self._stores, self._vault, self._charity = stores, vault, settings.charity

    def receipts(self, donor_id: UUID, year: int, by: Access) -> list[ReceiptFile]:
        return [ReceiptFile(name, pdf) for name, pdf in
                receipt_files.donor_year(self._stores, self._vault, self._charity, by, donor_id, year)]

    def donors(self, year: int) -> list[UUID]:
        return receipt_files.donors_of_year(self._stores, year)
# (end of thank-you letters)
