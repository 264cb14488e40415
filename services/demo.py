"""`angeli demo`: a realistic centre in the embedded store, made through the applications' own commands.

The five months of a Milan centre that end at the moment the demo is made: ~50 volunteers in two daily shifts
(Monday to Saturday), a helpline, a campaign that ended during those months and one running now (it ends weeks
after today), a few thousand contacts called through the dialer, pledges of money and goods, payments and
disbursements, and the opposition register checked today. So whenever it is made, the centre is alive: inside
the calling window a volunteer who clocks in gets a contact at once. A standing clock is moved through the
days, so every event carries the time it would have had, and none lies after the moment of making.
It lives beside the composition root because it drives every service, which the services themselves never do.
"""

from __future__ import annotations

import argparse
import io
import random
import secrets
import threading
import time as timer
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import holidays

from services.calls.application import CallsApplication
from services.calls.domain.rota import DailySlot, Pattern
from services.campaigns.application import CampaignsApplication
from services.campaigns.jobs import complete_ended_campaigns
from services.donations.application import DonationsApplication
from services.identity.domain import SYSTEM, SYSTEM_ACCESS
from services.kernel.clock import Clock, FixedClock, ShiftedClock, SystemClock
from services.kernel.errors import DomainError
from services.kernel.settings import Settings
from services.mail import mailings, template_library
from services.mail.application import MailApplication
from services.main import Product, build

ROME = ZoneInfo("Europe/Rome")
FIRST = ["Giulia", "Marco", "Anna", "Luca", "Francesca", "Paolo", "Chiara", "Matteo", "Sara", "Davide", "Elena",
         "Giorgio", "Laura", "Simone", "Marta", "Andrea", "Valentina", "Stefano", "Silvia", "Alessandro"]
LAST = ["Rossi", "Bianchi", "Colombo", "Ferrari", "Russo", "Romano", "Gallo", "Costa", "Fontana", "Conti",
        "Ricci", "Bruno", "Moretti", "Marino", "Greco", "Lombardi", "Barbieri", "Villa"]
ANNOUNCEMENT = (
    "{{ donor.first_name }}, è partita {{ campaign.name }}",
    "<p>Cara {{ donor.first_name }},</p><p>è partita <strong>{{ campaign.name }}</strong>: quest'anno vogliamo portare "
    "un pacco di Natale a 400 famiglie del quartiere. Nei prossimi giorni i nostri volontari chiameranno anche te.</p>"
    "<p>Grazie,<br>{{ charity.name }}</p><p style=\"font-size:small\">{{ charity.name }}, {{ charity.address }} · "
    "<a href=\"{{ unsubscribe_url }}\">Non ricevere più queste e-mail</a></p>",
    "Cara {{ donor.first_name }},\n\nè partita {{ campaign.name }}: quest'anno vogliamo portare un pacco di Natale a "
    "400 famiglie del quartiere. Nei prossimi giorni i nostri volontari chiameranno anche te.\n\nGrazie,\n"
    "{{ charity.name }}\n\n{{ charity.name }}, {{ charity.address }}\nPer non ricevere più queste e-mail: "
    "{{ unsubscribe_url }}\n")
THANKS = (
    "Grazie, {{ donor.first_name }}",
    "<p>Cara {{ donor.first_name }},</p><p>grazie per il tuo dono.</p><p>{{ charity.name }}, {{ charity.address }}</p>",
    "Cara {{ donor.first_name }},\n\ngrazie per il tuo dono.\n\n{{ charity.name }}, {{ charity.address }}\n")
OUTCOMES = [("no_answer", 34), ("busy", 8), ("voicemail", 12), ("answered", 14), ("not_interested", 12),
            ("callback_requested", 5), ("pledged", 15)]
SCRIPT = ("Buongiorno {first_name}, sono una volontaria di Angeli e la chiamo per {campaign}. {privacy_notice}",
          "I suoi dati sono trattati da Angeli ETS; può chiedere in ogni momento di non essere più chiamato.")
ADMIN_EMAIL = "admin@angeli.example"
VOLUNTEER_EMAIL = "volontaria@angeli.example"
HISTORY = timedelta(weeks=22)
# The running campaign started a month ago and ends six weeks after the day the demo is made.
RUNNING_SINCE, RUNNING_UNTIL = timedelta(days=30), timedelta(days=45)
SEASONS = {1: "Inverno solidale", 2: "Inverno solidale", 3: "Primavera solidale", 4: "Primavera solidale",
           5: "Primavera solidale", 6: "Estate solidale", 7: "Estate solidale", 8: "Estate solidale",
           9: "Autunno solidale", 10: "Autunno solidale", 11: "Natale", 12: "Natale"}


# donor page: regular givers (name, phone, amount, frequency, method, mandate, the period they missed or -1)
REGULAR = (("Giulia Ferrari", "+39 333 765 4321", "10.00", "monthly", "sepa", "IT-ANG-2026-0001", 2),
           ("Paolo Greco", "+39 347 222 3344", "30.00", "quarterly", "sepa", "IT-ANG-2026-0002", -1),
           ("Sara Lombardi", "+39 340 555 6677", "15.00", "monthly", "card", "SUB-DEMO-0003", -1))
FREQUENCY_MONTHS = {"monthly": 1, "quarterly": 3, "yearly": 12}


@dataclass(frozen=True)
class Regular:
    donor: UUID
    fund: UUID
    amount: Decimal
    every: int  # months
    method: str
    mandate: str
    first: date
    skip: int  # the period (from 0) not collected, -1 for none
# (end of donor page)


def _address(first: str, last: str, n: int) -> str:
    plain = "".join(c for c in f"{first}.{last}".lower() if c.isascii() and (c.isalnum() or c == "."))
    return f"{plain}{n}@example.org"


def campaign_name(starts: date) -> str:
    """A campaign named for the season it starts in: 'Natale 2026', 'Estate solidale 2031'."""
    return f"{SEASONS[starts.month]} {starts.year}"


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    demo = commands.add_parser(
        "demo", help="fill an empty embedded store with a realistic centre and create demo accounts",
        description="Fill ANGELI_DATA_DIR (embedded mode, empty) with the five months of a volunteer centre that "
        "end now, made through the same commands the API runs, and print the credentials of a demo "
        "administrator and of a demo volunteer.")
    demo.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    demo.add_argument("--scale", type=_scale, default=1.0,
                      help="share of the volunteers and contacts to make, above 0 and at most 1 (default 1)")
    demo.set_defaults(command=run_demo)


def _scale(text: str) -> float:
    try:
        scale = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"scale must be a number above 0 and at most 1, got {text!r}") from None
    if not 0 < scale <= 1:
        raise argparse.ArgumentTypeError(f"scale must be above 0 and at most 1, got {text}")
    return scale


def run_demo(settings: Settings, args: argparse.Namespace, clock: Clock | None = None) -> int:
    """The command: the demo ends at `clock`'s now (the product's own clock when not given)."""
    if settings.distributed:
        print("angeli demo: fills the embedded store only; unset ANGELI_MODE=distributed")
        return 2
    if clock is None:
        clock = ShiftedClock(settings.clock_start) if settings.clock_start else SystemClock()
    started = timer.monotonic()
    made = make_demo(settings, clock.now(), args.seed, args.scale)
    if made is None:
        print(f"angeli demo: {settings.data_dir} already holds events; demo data goes into an empty folder")
        return 1
    print(f"angeli demo: {made.figures} in {timer.monotonic() - started:.0f} s into {settings.data_dir}")
    print(f"Start it with `make run` (or `angeli run`), open http://127.0.0.1:8000/console/login and sign in as "
          f"{ADMIN_EMAIL} with password {made.admin_password}")
    print(f"The calling screen is for volunteers: sign in as {VOLUNTEER_EMAIL} with password "
          f"{made.volunteer_password}")
    return 0


@dataclass(frozen=True)
class Demo:
    figures: str
    admin_password: str
    volunteer_password: str


def make_demo(settings: Settings, end: datetime, seed: int = 7, scale: float = 1.0) -> Demo | None:
    """The centre whose history ends at `end`, or None when the store already holds events (nothing written)."""
    end = end.astimezone(UTC)  # the clock speaks UTC, as every clock of the product does
    clock = FixedClock(end - HISTORY)
    product = build(settings, clock)
    try:
        if any(feed.head() for feed in product.feeds.values()):
            return None
        centre = Centre(product, clock, random.Random(seed), scale)
        figures = centre.live_until(end)
        admin, volunteer = secrets.token_urlsafe(12), secrets.token_urlsafe(12)
        assert product.identity is not None
        product.identity.create_account(ADMIN_EMAIL, admin, "administrator", SYSTEM)
        product.identity.create_account(VOLUNTEER_EMAIL, volunteer, "volunteer", SYSTEM, centre.volunteers[0])
    finally:
        product.stop()
    return Demo(figures, admin, volunteer)


class Centre:
    def __init__(self, product: Product, clock: FixedClock, rng: random.Random, scale: float = 1.0) -> None:
        self.product, self.clock, self.rng, self.scale = product, clock, rng, scale
        self.calls: CallsApplication = product.services["calls"].application  # type: ignore[assignment]
        self.campaigns: CampaignsApplication = product.services["campaigns"].application  # type: ignore[assignment]
        self.donations: DonationsApplication = product.services["donations"].application  # type: ignore[assignment]
        self.mail: MailApplication = product.services["mail"].application  # type: ignore[assignment]
        self.mail.runner.enabled = False  # the demo sends its mailing itself, in its own time
        self.pending: list[tuple[datetime, UUID, Decimal]] = []
        self.count = {"volunteers": 0, "shifts": 0, "helpline calls": 0, "campaign calls": 0, "pledges": 0,
                      "payments": 0}

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        moment = datetime.combine(day, time(hour, minute), ROME)
        self.clock.set(moment.astimezone(UTC))
        return moment

    def live_until(self, end: datetime) -> str:
        start, today = self.clock.now().astimezone(ROME).date(), end.astimezone(ROME).date()
        self.feasts = holidays.country_holidays("IT", years=range(start.year, today.year + 1))
        self.volunteers = self._volunteers(start)
        self.funds = {name: self.donations.create_fund(name) for name in ("Pacchi di Natale", "Emergenza freddo")}
        self.active: list[tuple[UUID, UUID]] = []
        self.regular = self._regular_donors(start)  # donor page: regular gifts, paid as they fall due below
        ended = self._campaign("Emergenza freddo", start + timedelta(days=21), start + timedelta(days=100),
                               "347 {:07d}", "", 1800)
        running = self._campaign("Pacchi di Natale", today - RUNNING_SINCE, today + RUNNING_UNTIL,
                                 "02 {:08d}", "Milano", 1700)
        day = start
        while day <= today:
            self._regular_gifts(day, end)
            for campaign_id, starts, ends in (ended, running):
                if day == starts:
                    self._launch(campaign_id, day)
                if day == ends + timedelta(days=1):
                    self._complete(campaign_id, day)
            if day.weekday() != 6 and day not in self.feasts:
                self._day(day, end)
            day += timedelta(days=1)
        self._close(end)
        self._rota_ahead(end)
        self._mailing(running[0], today - timedelta(days=2))
        return ", ".join(f"{n} {k}" for k, n in self.count.items())

    def _rota_ahead(self, end: datetime) -> None:
        """The next two weeks of the helpline, Monday to Saturday 10-15 and 15-20, partly signed up: the week and its
        coverage have something to show, gaps included."""
        self.clock.set(end)
        slots = (DailySlot.parse("10:00", "15:00"), DailySlot.parse("15:00", "20:00"))
        pattern = Pattern(end.astimezone(ROME).date() + timedelta(days=1), 2, (1, 2, 3, 4, 5, 6), slots, ROME)
        for shift_id in self.calls.schedule_pattern(pattern, "helpline", 4):
            for vid in self.rng.sample(self.volunteers, self.rng.choice((0, 1, 2, 3, 4))):
                with suppress(DomainError):  # an inactive volunteer, or one already on a slot then
                    self.calls.sign_up(shift_id, vid)
            self.count["shifts"] += 1

    def _close(self, end: datetime) -> None:
        """The last acts, at the moment of making: payments due by now, the register checked today, and what
        the funds paid for (no more than each holds)."""
        self.clock.set(end)
        self._settle(end)
        self.campaigns.import_register(io.BytesIO(b"phone\n+39 347 1000000\n"), end.astimezone(ROME).date())
        for fund, amount, purpose, document in (
                ("Emergenza freddo", Decimal("2400.00"), "Coperte e sacchi a pelo per il dormitorio di via Ortles",
                 "Fattura 318"),
                ("Pacchi di Natale", Decimal("1500.00"),
                 "Primi 60 pacchi alimentari per famiglie seguite dai servizi sociali", "Fattura 342")):
            # at most 60% of what it holds, so even a small demo's funds keep a balance to show
            held = self.donations.fund(self.funds[fund]).balance
            amount = min(amount, (held * Decimal("0.6")).quantize(Decimal("0.01")))
            if amount > 0:
                self.donations.disburse(self.funds[fund], amount, purpose, document)
        self.product.catch_up()

    def _volunteers(self, day: date) -> list[UUID]:
        self.at(day - timedelta(days=7), 9)
        ids = []
        for i in range(max(4, round(50 * self.scale))):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i * 7) % len(LAST)]}"
            roles = ["coordinator", "helpline", "outreach"] if i in (1, 2, 3) else ["helpline", "outreach"]
            vid = self.calls.register_volunteer(name, f"+39 02 555{i:05d}", f"volontario{i}@angeli.example", roles)
            self.calls.record_training(vid, "Formazione iniziale", Decimal(6), day - timedelta(days=10))
            ids.append(vid)
        self.count["volunteers"] = len(ids)
        return ids

    def _campaign(self, fund: str, starts: date, ends: date, phone: str, town: str,
                  contacts: int) -> tuple[UUID, date, date]:
        self.at(starts - timedelta(days=3), 9)
        campaign_id = self.campaigns.create_campaign(
            campaign_name(starts), self.funds[fund], Decimal("15000.00"), starts, ends,
            {"weekdays": [0, 1, 2, 3, 4, 5], "start": "10:00", "end": "20:00", "timezone": "Europe/Rome"},
            ("it-telemarketing-2024", 1), ["callback", "retry", "fresh"], SCRIPT, 4)
        pick = self.rng.choice
        rows = ["nome;cognome;telefono;comune;email;consenso_email"] + [
            f"{first};{last};{phone.format(1000000 + i * 37)};{town};{_address(first, last, i) if i % 5 else ''};"
            f"{'sì' if i % 5 and i % 3 else ''}"
            for i in range(max(20, round(contacts * self.scale))) for first, last in [(pick(FIRST), pick(LAST))]]
        self.campaigns.import_contacts(campaign_id, io.BytesIO("\n".join(rows).encode()))
        return campaign_id, starts, ends

    def _mailing(self, campaign_id: UUID, day: date) -> None:
        """The running campaign announced by e-mail two days ago (into the outbox), and a thank-you template."""
        self.at(day, 11)
        announcement = template_library.create(self.mail, "Annuncio della campagna", "marketing", by=SYSTEM, once=None)
        template_library.publish(self.mail, announcement, *ANNOUNCEMENT, by=SYSTEM, once=None)
        thanks = template_library.create(self.mail, "Grazie per il dono", "transactional", by=SYSTEM, once=None)
        template_library.publish(self.mail, thanks, *THANKS, by=SYSTEM, once=None)
        mailing = mailings.create(self.mail, campaign_id, announcement, "Annuncio ai donatori", by=SYSTEM, once=None)
        mailings.start(self.mail, mailing.id, by=SYSTEM, once=None)
        settings = self.mail.settings
        self.mail.settings = replace(settings, per_minute=100_000)
        try:
            mailings.run(self.mail, mailing.id, threading.Event())
        finally:
            self.mail.settings = settings
        self.count["e-mails"] = mailings.progress(self.mail, mailing.id).counts["accepted"]

    def _launch(self, campaign_id: UUID, day: date) -> None:
        self._register(day)
        self.campaigns.launch(campaign_id)
        self.active.append((campaign_id, self.campaigns.campaign(campaign_id).fund_id))

    def _complete(self, campaign_id: UUID, day: date) -> None:
        """The day after its end date the campaign completes, as the scheduled sweep would have done then."""
        self.at(day, 0, 5)
        self.product.catch_up()
        complete_ended_campaigns(self.campaigns)
        self.active = [pair for pair in self.active if pair[0] != campaign_id]

    def _register(self, day: date) -> None:
        self.at(day, 9)
        self.campaigns.import_register(io.BytesIO(b"phone\n+39 347 1000000\n"), day)

    def _day(self, day: date, end: datetime) -> None:
        if day.weekday() == 0 and self.active and self.at(day, 9) <= end:
            self._register(day)
        shifts = ((10, 15), (15, 19 if day.weekday() == 5 else 20))
        for hour, end_hour in shifts if self.scale >= 0.5 else shifts[:1]:  # a small demo has mornings only
            if datetime.combine(day, time(end_hour), ROME) > end:
                continue  # a shift still to come, or under way, when the demo is made
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
                if self.rng.random() < 0.3 * self.scale:
                    self._helpline(vid)
                elif self.active and self.rng.random() < 0.5 * self.scale:
                    self._outbound(vid, *self.rng.choice(self.active))
        self.at(day, end_hour - 1, 58)
        for vid in team:
            self.calls.clock_out(vid)

    def _helpline(self, vid: UUID) -> None:
        call = self.calls.start_call(vid, "inbound", None, None)
        self._later(2)
        self.calls.connect_call(call, by=SYSTEM)
        self._later(self.rng.randrange(3, 14))
        self.calls.end_call(call, "answered", None, None, by=SYSTEM)
        self.count["helpline calls"] += 1
        if self.rng.random() < 0.15:
            self._pledge(vid, self.active[-1][1] if self.active else next(iter(self.funds.values())), {})

    def _outbound(self, vid: UUID, campaign_id: UUID, fund_id: UUID) -> None:
        offer = self.campaigns.next_contact(campaign_id, vid, SYSTEM_ACCESS)
        if offer is None:
            return
        call = self.calls.start_call(vid, "outbound", campaign_id, offer.contact_id)
        disposition = self.rng.choices([o for o, _ in OUTCOMES], [w for _, w in OUTCOMES])[0]
        callback = None
        if disposition in ("answered", "not_interested", "callback_requested", "pledged"):
            self._later(1)
            self.calls.connect_call(call, by=SYSTEM)
            self._later(self.rng.randrange(2, 9))
        if disposition == "callback_requested":
            callback = self.clock.now() + timedelta(days=1)
        if disposition == "pledged":  # the donor registered by the number called, as the calling screen does
            self._pledge(vid, fund_id, {"campaign_id": campaign_id, "contact_id": offer.contact_id, "call_id": call},
                         {"name": f"{offer.first_name} {offer.last_name}".strip(), "phone": offer.phone})
        self.calls.end_call(call, disposition, None, callback, by=SYSTEM)
        self.count["campaign calls"] += 1
        self.product.catch_up()  # the dialer hears of the outcome, so the lease ends before the next offer

    def _pledge(self, vid: UUID, fund_id: UUID, links: dict[str, Any], called: dict[str, str] | None = None) -> None:
        first, last = FIRST[self.rng.randrange(len(FIRST))], LAST[self.rng.randrange(len(LAST))]
        details = {"name": f"{first} {last}"}
        if called:
            details = {"name": called["name"] or details["name"], "phone": called["phone"]}
        donor = self.donations.register_donor("person", details)
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

    # donor page
    def _regular_donors(self, start: date) -> list[Regular]:
        """Three donors give regularly from the first month of the demo: two by SEPA mandate (one missed a month's
        collection), one by card; so the regular-giving page and these donors' pages have gifts to show."""
        self.at(start + timedelta(days=2), 11)
        first = date(start.year + start.month // 12, start.month % 12 + 1, 1)
        made = []
        for name, phone, amount, frequency, method, mandate, skip in REGULAR:
            donor = self.donations.register_donor("person", {"name": name, "phone": phone},
                                                  consents=(("phone_outreach", "modulo mandato SEPA"),), by=SYSTEM)
            fund = self.funds["Emergenza freddo" if frequency == "quarterly" else "Pacchi di Natale"]
            signed = start if method == "sepa" else None
            self.donations.set_up_commitment(donor, fund, Decimal(amount), frequency, 5, first, None, method, mandate,
                                             signed)
            made.append(Regular(donor, fund, Decimal(amount), FREQUENCY_MONTHS[frequency], method, mandate, first,
                                skip))
        return made

    def _regular_gifts(self, day: date, end: datetime) -> None:
        """Each regular gift collected on its due day (the 5th), unless it is the period its donor missed."""
        for r in self.regular:
            months = (day.year - r.first.year) * 12 + day.month - r.first.month
            if day.day != 5 or months < 0 or months % r.every or months // r.every == r.skip:
                continue
            received = self.at(day, 9, 30)
            if received > end:
                continue
            self.donations.receive_regular_gift(r.donor, r.fund, r.amount, r.method, f"{r.mandate}-{day:%Y%m}",
                                                received, r.mandate)
            self.count["payments"] += 1
    # (end of donor page)

    def _later(self, minutes: int) -> None:
        self.clock.set(self.clock.now() + timedelta(minutes=minutes))
