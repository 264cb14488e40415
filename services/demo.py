"""`angeli demo`: a realistic centre in the embedded store, made through the applications' own commands.

Five months of a Milan centre: ~50 volunteers in two daily shifts (Monday to Saturday), a helpline, two
campaigns with a few thousand contacts called through the dialer, pledges of money and goods, payments and a
disbursement. A standing clock is moved through the days, so every event carries the time it would have had.
It lives beside the composition root because it drives every service, which the services themselves never do.
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
import time as timer
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import holidays

from services.calls.application import CallsApplication
from services.campaigns.application import CampaignsApplication
from services.campaigns.dialer.leasing import Dialer
from services.donations.application import DonationsApplication
from services.kernel.actor import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build

ROME = ZoneInfo("Europe/Rome")
FIRST = ["Giulia", "Marco", "Anna", "Luca", "Francesca", "Paolo", "Chiara", "Matteo", "Sara", "Davide", "Elena",
         "Giorgio", "Laura", "Simone", "Marta", "Andrea", "Valentina", "Stefano", "Silvia", "Alessandro"]
LAST = ["Rossi", "Bianchi", "Colombo", "Ferrari", "Russo", "Romano", "Gallo", "Costa", "Fontana", "Conti",
        "Ricci", "Bruno", "Moretti", "Marino", "Greco", "Lombardi", "Barbieri", "Villa"]
OUTCOMES = [("no_answer", 34), ("busy", 8), ("voicemail", 12), ("answered", 14), ("not_interested", 12),
            ("callback_requested", 5), ("pledged", 15)]
SCRIPT = ("Buongiorno {first_name}, sono una volontaria di Angeli e la chiamo per {campaign}. {privacy_notice}",
          "I suoi dati sono trattati da Angeli ETS; può chiedere in ogni momento di non essere più chiamato.")
ADMIN_EMAIL = "admin@angeli.example"


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = commands.add_parser(
        "demo", help="fill an empty embedded store with a realistic centre and create a demo administrator",
        description="Fill ANGELI_DATA_DIR (embedded mode, empty) with five months of a volunteer centre, made "
        "through the same commands the API runs, and print the demo administrator's credentials.")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.set_defaults(command=run_demo)


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    if settings.distributed:
        print("angeli demo: fills the embedded store only; unset ANGELI_MODE=distributed")
        return 2
    started = timer.monotonic()
    end = datetime(2026, 11, 21, 20, 0, tzinfo=ROME)
    clock = FixedClock(end - timedelta(weeks=22))
    product = build(settings, clock)
    try:
        if any(feed.head() for feed in product.feeds.values()):
            print(f"angeli demo: {settings.data_dir} already holds events; demo data goes into an empty folder")
            return 1
        password = secrets.token_urlsafe(12)
        assert product.identity is not None
        product.identity.create_account(ADMIN_EMAIL, password, "administrator", SYSTEM)
        figures = Centre(product, clock, random.Random(args.seed)).live_until(end)
    finally:
        product.stop()
    print(f"angeli demo: {figures} in {timer.monotonic() - started:.0f} s into {settings.data_dir}")
    print(f"Start it with `make run` (or `angeli run`), open http://127.0.0.1:8000/console/login and sign in as "
          f"{ADMIN_EMAIL} with password {password}")
    return 0


class Centre:
    def __init__(self, product: Product, clock: FixedClock, rng: random.Random) -> None:
        self.product, self.clock, self.rng = product, clock, rng
        self.calls: CallsApplication = product.services["calls"].application  # type: ignore[assignment]
        self.campaigns: CampaignsApplication = product.services["campaigns"].application  # type: ignore[assignment]
        self.donations: DonationsApplication = product.services["donations"].application  # type: ignore[assignment]
        self.dialer = Dialer(self.campaigns)
        self.feasts = holidays.country_holidays("IT", years=[2026])
        self.pending: list[tuple[datetime, UUID, Decimal]] = []
        self.count = {"volunteers": 0, "shifts": 0, "helpline calls": 0, "campaign calls": 0, "pledges": 0,
                      "payments": 0}

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(day, time(hour, minute), ROME)
        self.clock.set(moment)
        return moment

    def live_until(self, end: datetime) -> str:
        start = self.clock.now().date()
        self.volunteers = self._volunteers(start)
        self.funds = {name: self.donations.create_fund(name) for name in ("Pacchi di Natale", "Emergenza freddo")}
        self.active: list[tuple[UUID, UUID]] = []
        summer = self._campaign("Estate solidale 2026", "Emergenza freddo", start + timedelta(days=21),
                                start + timedelta(days=100), "347", 1800)
        christmas = self._campaign("Natale 2026", "Pacchi di Natale", date(2026, 11, 2), date(2026, 12, 31),
                                   "348", 1700)
        day = start
        while day <= end.date():
            if day == summer[1]:
                self._launch(summer[0], day)
            if day == christmas[1]:
                self._launch(christmas[0], day)
            if day.weekday() != 6 and day not in self.feasts:
                self._day(day)
            day += timedelta(days=1)
        self._settle(end)
        self.at(end.date() - timedelta(days=1), 12)
        self.donations.disburse(self.funds["Emergenza freddo"], Decimal("2400.00"),
                                "Coperte e sacchi a pelo per il dormitorio di via Ortles", "Fattura 2026/318")
        self.donations.disburse(self.funds["Pacchi di Natale"], Decimal("1500.00"),
                                "Primi 60 pacchi alimentari per famiglie seguite dai servizi sociali",
                                "Fattura 2026/342")
        self.product.catch_up()
        return ", ".join(f"{n} {k}" for k, n in self.count.items())

    def _volunteers(self, day: date) -> list[UUID]:
        self.at(day - timedelta(days=7), 9)
        ids = []
        for i in range(50):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
            roles = ["coordinator", "helpline"] if i < 3 else ["helpline", "outreach"]
            vid = self.calls.register_volunteer(name, f"+39 02 555{i:05d}", f"volontario{i}@angeli.example", roles)
            self.calls.record_training(vid, "Formazione iniziale", Decimal(6), day - timedelta(days=10))
            ids.append(vid)
        self.count["volunteers"] = len(ids)
        return ids

    def _campaign(self, name: str, fund: str, starts: date, ends: date, prefix: str,
                  contacts: int) -> tuple[UUID, date]:
        self.at(starts - timedelta(days=3), 9)
        campaign_id = self.campaigns.create_campaign(
            name, self.funds[fund], Decimal("15000.00"), starts, ends,
            {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
            ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], SCRIPT, 4)
        pick = self.rng.choice
        rows = ["nome;cognome;telefono"] + [f"{pick(FIRST)};{pick(LAST)};{prefix} {1000000 + i * 37:07d}"
                                            for i in range(contacts)]
        self.campaigns.import_contacts(campaign_id, io.BytesIO("\n".join(rows).encode()))
        return campaign_id, starts

    def _launch(self, campaign_id: UUID, day: date) -> None:
        self._register(day)
        self.campaigns.launch(campaign_id)
        self.active.append((campaign_id, self.campaigns.campaign(campaign_id).fund_id))

    def _register(self, day: date) -> None:
        self.at(day, 9)
        self.campaigns.import_register(io.BytesIO(b"phone\n+39 347 1000000\n"), day)

    def _day(self, day: date) -> None:
        if day.weekday() == 0 and self.active:
            self._register(day)
        for hour, end_hour in ((10, 15), (15, 19 if day.weekday() == 5 else 20)):
            self.at(day - timedelta(days=7), 9)
            shift = self.calls.schedule_shift(datetime.combine(day, time(hour), ROME),
                                              datetime.combine(day, time(end_hour), ROME), "helpline", 4)
            self.at(day - timedelta(days=6), 9)
            team = self.rng.sample(self.volunteers, self.rng.choice((1, 2, 2, 3)))
            for vid in team:
                self.calls.sign_up(shift, vid)
            self.count["shifts"] += 1
            self._shift(day, hour, end_hour, team)
        self._settle(self.clock.now())

    def _shift(self, day: date, hour: int, end_hour: int, team: list[UUID]) -> None:
        self.at(day, hour, 2)
        for vid in team:
            self.calls.clock_in(vid)
        self.product.catch_up()
        for slot in range(1, (end_hour - hour) * 2):
            self.at(day, hour + slot // 2, 30 * (slot % 2))
            for vid in team:
                if self.rng.random() < 0.3:
                    self._helpline(vid)
                elif self.active and self.rng.random() < 0.5:
                    self._outbound(vid, *self.rng.choice(self.active))
        self.at(day, end_hour - 1, 58)
        for vid in team:
            self.calls.clock_out(vid)

    def _helpline(self, vid: UUID) -> None:
        call = self.calls.start_call(vid, "inbound", None, None)
        self._later(2)
        self.calls.connect_call(call)
        self._later(self.rng.randrange(3, 14))
        self.calls.end_call(call, "answered", None, None)
        self.count["helpline calls"] += 1
        if self.rng.random() < 0.15:
            self._pledge(vid, self.active[-1][1] if self.active else next(iter(self.funds.values())), {})

    def _outbound(self, vid: UUID, campaign_id: UUID, fund_id: UUID) -> None:
        offer = self.dialer.next_contact(campaign_id, vid)
        if offer is None:
            return
        call = self.calls.start_call(vid, "outbound", campaign_id, offer.contact_id)
        disposition = self.rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        callback = None
        if disposition in ("answered", "not_interested", "callback_requested", "pledged"):
            self._later(1)
            self.calls.connect_call(call)
            self._later(self.rng.randrange(2, 9))
        if disposition == "callback_requested":
            callback = self.clock.now() + timedelta(days=1)
        if disposition == "pledged":
            self._pledge(vid, fund_id, {"campaign_id": campaign_id, "contact_id": offer.contact_id, "call_id": call})
        self.calls.end_call(call, disposition, None, callback)
        self.count["campaign calls"] += 1
        self.product.catch_up()  # the dialer hears of the outcome, so the lease ends before the next offer

    def _pledge(self, vid: UUID, fund_id: UUID, links: dict[str, Any]) -> None:
        first, last = FIRST[self.rng.randrange(len(FIRST))], LAST[self.rng.randrange(len(LAST))]
        donor = self.donations.register_donor("person", {"name": f"{first} {last}"})
        if self.rng.random() < 0.2:
            self.donations.make_pledge(donor, fund_id, "goods", Decimal(self.rng.choice((40, 80, 120))),
                                       volunteer_id=vid, description="Pacco alimentare", quantity=1, **links)
        else:
            amount = Decimal(self.rng.choice((20, 30, 50, 50, 100, 150, 250)))
            pledge = self.donations.make_pledge(donor, fund_id, "money", amount, volunteer_id=vid, **links)
            if self.rng.random() < 0.75:
                self.pending.append((self.clock.now() + timedelta(days=self.rng.randrange(2, 12)), pledge, amount))
        self.count["pledges"] += 1

    def _settle(self, now: datetime) -> None:
        due = [p for p in self.pending if p[0] <= now]
        self.pending = [p for p in self.pending if p[0] > now]
        for received_at, pledge, amount in due:
            self.donations.receive_payment(pledge, amount, self.rng.choice(("bank_transfer", "card", "paypal")),
                                           f"DEMO-{pledge.hex[:8]}", received_at=received_at)
            self.count["payments"] += 1

    def _later(self, minutes: int) -> None:
        self.clock.set(self.clock.now() + timedelta(minutes=minutes))
