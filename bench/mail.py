"""Campaign mailing: messages per second rendered and accepted by a local SMTP server for a mailing to
`--contacts` contacts (default 100,000), beside a bare loop sending as many pre-rendered messages over one SMTP
connection in the same run, and the memory the send holds at two audience sizes (it must be bounded by a page,
not grow with the audience).

The server is aiosmtpd on 127.0.0.1 in a process of its own (it shares no GIL with the sender); its handler counts
the messages it accepts and keeps none. The engine is `services.mail.mailings.run` — both passes: the queue pass
(a Delivery and its two index entries per member) and the send pass (per message: the unsubscribe and hold
re-check, the vault read with its access event, two signed tokens, the Jinja2 render, MIME, SMTP, the Delivery's
outcome saved before the next message) — with the pace at 100,000 a minute, the most ANGELI_MAIL_PER_MINUTE
accepts: 0.6 ms between messages, no wait while the engine is slower than that. On the embedded default (SQLite
in a temporary folder) or, with `--postgres`, a scratch PostgreSQL database of its own.

The audience set-up is not measured (it is timed and printed apart): a `Campaigns` port of the bench's own answers
pages of members from ids made in order (the campaigns CSV import would dominate the run), the people's names and
addresses go into the vault with `put_many`, and each one's marketing consent is a MailChoices saved in batches.
Each size is set up in a process of its own, then sent from another fresh process, so the send's peak RSS growth
(VmRSS sampled every 20 ms, over its value when the send starts) is the send's own and not what the set-up left
behind; `--tracemalloc` adds the traced Python peak (and slows the send, so its rate is then not comparable).

A send prints a line every 10,000 messages. `--stop-after N` stops each send after N messages, as a shutdown
stops the runner (the queue pass still covers the whole audience, and the send pass lists every queued Delivery
first): on a machine where the whole audience would take too long, the rate and the memory held are measured on
the way.

Run: `.venv/bin/python -m bench.mail [--contacts 100000] [--small 10000] [--stop-after N] [--postgres]
[--tracemalloc]` (`--postgres` needs PostgreSQL from deploy/ running: deploy/postgres/start.sh, ANGELI_PG_* as for
the tests).
"""

from __future__ import annotations

import argparse
import multiprocessing
import smtplib
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from multiprocessing.sharedctypes import Synchronized
from pathlib import Path
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from bench import scratch_database
from services.identity.domain import SYSTEM
from services.kernel.clock import SystemClock
from services.kernel.errors import NotFound
from services.kernel.eventstore import event_store_env
from services.kernel.secrets import secret
from services.kernel.settings import MailSettings, Settings
from services.mail import mailings
from services.mail.application import MailApplication, Member
from services.mail.domain.choices import MailChoices
from services.mail.message import as_bytes, build, envelope_sender
from services.privacy.main import open_vault
from tests.conftest import free_port
from tests.mail.mailing_rig import CONSENT, marketing_template

CAMPAIGN = UUID("00000000-0000-4000-8000-00000000a026")
BATCH = 5_000  # people per vault transaction and consents per save during the set-up
PER_MINUTE = 100_000  # the highest pace ANGELI_MAIL_PER_MINUTE accepts
PROGRESS_EVERY = 10_000
DISTINCT = 500  # pre-rendered messages of the bare loop, reused in turn


def person_id(n: int) -> UUID:
    return uuid5(NAMESPACE_URL, f"angeli-bench-mail:person:{n}")


def address(n: int) -> str:
    return f"donatore{n:06d}@example.org"


class Audience:
    """The campaigns port: `count` contacts with ids 1…count in order, each a person of its own, none closed."""

    def __init__(self, count: int) -> None:
        self.count = count

    def name(self, campaign_id: UUID) -> str:
        if campaign_id != CAMPAIGN:
            raise NotFound(f"campaign {campaign_id} not found")
        return "Natale 2026"

    def members(self, campaign_id: UUID, after: UUID | None, limit: int) -> Sequence[Member]:
        start = 0 if after is None else after.int
        return [Member(UUID(int=n + 1), person_id(n), "") for n in range(start, min(start + limit, self.count))]


# The SMTP server, in its own process.
class Counting:
    """aiosmtpd handler: every message accepted, counted, dropped."""

    def __init__(self, accepted: Synchronized[int]) -> None:
        self.accepted = accepted

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.accepted.get_lock():
            self.accepted.value += 1
        return "250 2.0.0 accepted"


def serve_smtp(port: int, accepted: Synchronized[int], ready: Any, stop: Any) -> None:
    from aiosmtpd.controller import Controller
    controller = Controller(Counting(accepted), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    stop.wait()
    controller.stop()


# One size's set-up and send, each in a fresh process.
def mail_settings(port: int) -> MailSettings:
    return MailSettings(host="127.0.0.1", port=port, security="none", public_url="https://angeli.example",
                        bounce_domain="bounces.angeli.example", per_minute=PER_MINUTE)


@contextmanager
def opened(settings: Settings, contacts: int, port: int) -> Iterator[MailApplication]:
    vault = open_vault(settings)
    app = MailApplication(event_store_env(settings, "mail"), vault=vault, settings=mail_settings(port),
                          token_key=secret(settings, "mail_token_key"), charity=settings.charity, clock=SystemClock())
    app.runner.enabled = False  # the bench runs the send itself, in this thread
    app.campaigns = Audience(contacts)
    try:
        yield app
    finally:
        app.close()
        vault.store.close()
        vault.trail.close()


def set_up(settings: Settings, contacts: int, results: Any) -> None:
    """The audience with consent, a published marketing template and a started mailing (not measured)."""
    with opened(settings, contacts, 0) as app:
        started = time.perf_counter()
        for low in range(0, contacts, BATCH):
            app.vault.put_many({person_id(n): {"first_name": f"Nome{n}", "last_name": f"Cognome{n}",
                                               "email": address(n)} for n in range(low, min(low + BATCH, contacts))})
        vault_s = time.perf_counter() - started
        started = time.perf_counter()
        at = app.clock.now()
        for low in range(0, contacts, BATCH):
            batch = [MailChoices(person_id(n)) for n in range(low, min(low + BATCH, contacts))]
            for choices in batch:
                choices.consent(at, "modulo web Natale", CONSENT, SYSTEM.label)
            app.save(*batch)
        consent_s = time.perf_counter() - started
        mailing = mailings.create(app, CAMPAIGN, marketing_template(app), "Annuncio Natale", by=SYSTEM, once=None)
        mailings.start(app, mailing.id, by=SYSTEM, once=None)
        results.put({"vault_s": vault_s, "consent_s": consent_s, "mailing": str(mailing.id)})


class Watch:
    """Samples this process's VmRSS and the server's count every 20 ms while the send runs: the peak, when the
    first message arrived (the queue pass's end) and a line every PROGRESS_EVERY messages."""

    def __init__(self, accepted: Synchronized[int], contacts: int, stop_after: int, stop: threading.Event) -> None:
        self.accepted, self.contacts, self.stop_after, self.stop_send = accepted, contacts, stop_after, stop
        self.start_count = accepted.value
        self.start_rss = rss_kib()
        self.peak_rss = self.start_rss
        self.first_at: float | None = None
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        shown = 0
        while not self._stop.wait(0.02):
            self.peak_rss = max(self.peak_rss, rss_kib())
            sent = self.accepted.value - self.start_count
            if sent and self.first_at is None:
                self.first_at = time.perf_counter()
            if self.stop_after and sent >= self.stop_after:
                self.stop_send.set()
            if sent >= shown + PROGRESS_EVERY:
                shown = sent - sent % PROGRESS_EVERY
                elapsed = time.perf_counter() - self.started
                print(f"    {sent:,} of {self.contacts:,} accepted after {elapsed:.0f} s", flush=True)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_rss = max(self.peak_rss, rss_kib())


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def send(settings: Settings, contacts: int, port: int, mailing_id: str, accepted: Synchronized[int],
         trace: bool, stop_after: int, results: Any) -> None:
    """`mailings.run` from queue to finish (or stopped, as a shutdown stops it, after `stop_after` messages),
    timed, with its memory watched."""
    with opened(settings, contacts, port) as app:
        if trace:
            tracemalloc.start()
        stop = threading.Event()
        watch = Watch(accepted, contacts, stop_after, stop)
        mailings.run(app, UUID(mailing_id), stop)
        ended = time.perf_counter()
        watch.stop()
        traced = tracemalloc.get_traced_memory()[1] if trace else 0
        tracemalloc.stop()
        status = None if stop.is_set() else mailings.progress(app, UUID(mailing_id))
        sent = accepted.value - watch.start_count
        results.put({"seconds": ended - watch.started, "sent": sent,
                     "queue_s": (watch.first_at or ended) - watch.started, "start_rss": watch.start_rss,
                     "peak_rss": watch.peak_rss, "traced": traced,
                     "status": status.mailing.status if status else "stopped",
                     "counted": status.counts["accepted"] if status else sent})


# The baseline: the same number of pre-rendered messages over one connection.
def bare_loop(port: int, count: int) -> float:
    now = datetime.now(UTC)
    prepared = []
    for n in range(DISTINCT):
        message = build(key=f"bench:{n}", sender=MailSettings().sender, to=f"Nome{n} Cognome{n} <{address(n)}>",
                        subject=f"Nome{n}, Natale 2026 con Associazione Angeli ODV",
                        text=f"Cara Nome{n} Cognome{n},\nla campagna Natale 2026 è iniziata.\n" * 4,
                        html=f"<p>Cara Nome{n},</p><p>la campagna <b>Natale 2026</b> è iniziata.</p>" * 4,
                        date=now)
        prepared.append((envelope_sender(f"token{n}", "bounces.angeli.example"), address(n), as_bytes(message)))
    started = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        for n in range(count):
            sender, to, raw = prepared[n % DISTINCT]
            smtp.sendmail(sender, [to], raw)
    return time.perf_counter() - started


@dataclass(frozen=True)
class Sent:
    contacts: int
    sent: int  # fewer than `contacts` when stopped after --stop-after messages
    vault_s: float
    consent_s: float
    seconds: float
    queue_s: float
    start_rss: int
    peak_rss: int
    traced: int

    @property
    def complete(self) -> bool:
        return self.sent == self.contacts

    @property
    def rate(self) -> float:
        """Both passes: the queue pass over the whole audience, then the messages sent."""
        return self.sent / self.seconds

    @property
    def send_rate(self) -> float:
        return self.sent / (self.seconds - self.queue_s)

    @property
    def growth_mib(self) -> float:
        return (self.peak_rss - self.start_rss) / 1024


@contextmanager
def stores(postgres: bool, contacts: int) -> Iterator[Settings]:
    with tempfile.TemporaryDirectory() as folder:
        if not postgres:
            yield Settings(mode="embedded", data_dir=Path(folder))
            return
        with scratch_database(f"angeli_bench_mail_{contacts}") as database:
            yield Settings(mode="distributed", data_dir=Path(folder), postgres=database, run_feeds=False,
                           run_jobs=False)


def in_process(context: Any, target: Any, *args: Any) -> dict[str, Any]:
    results = context.Queue()
    process = context.Process(target=target, args=(*args, results))
    process.start()
    answer: dict[str, Any] = results.get()
    process.join()
    if process.exitcode != 0:
        raise SystemExit(f"{target.__name__} failed (exit code {process.exitcode})")
    return answer


def one_size(context: Any, postgres: bool, contacts: int, port: int, accepted: Synchronized[int],
             trace: bool, stop_after: int) -> Sent:
    with stores(postgres, contacts) as settings:
        print(f"  {contacts:,} contacts: setting up the audience (not measured) …", flush=True)
        made = in_process(context, set_up, settings, contacts)
        print(f"    vault put_many {made['vault_s']:.1f} s, consents {made['consent_s']:.1f} s; sending …", flush=True)
        done = in_process(context, send, settings, contacts, port, made["mailing"], accepted, trace, stop_after)
    whole = not stop_after or stop_after >= contacts
    if whole and not (done["sent"] == done["counted"] == contacts and done["status"] == "sent"):
        raise SystemExit(f"expected {contacts} messages accepted and the mailing sent; got {done}")
    sent = Sent(contacts, done["sent"], made["vault_s"], made["consent_s"], done["seconds"], done["queue_s"],
                done["start_rss"], done["peak_rss"], done["traced"])
    print(f"    {sent.sent:,} sent in {sent.seconds:.1f} s (queue pass {sent.queue_s:.1f} s) = {sent.rate:,.0f} msg/s"
          f"{'' if sent.complete else ' (stopped there)'}; "
          f"RSS {sent.start_rss / 1024:.0f} MiB at the start, peak +{sent.growth_mib:.1f} MiB", flush=True)
    return sent


def report(store: str, sizes: list[Sent], bare_s: float, trace: bool) -> None:
    large = sizes[-1]
    bare = large.sent / bare_s
    print()
    print(f"Campaign mailing on {store}, aiosmtpd on 127.0.0.1 in its own process, pace {PER_MINUTE:,}/min")
    print(f"{'contacts':>10}{'sent':>9}{'set-up s':>10}{'run s':>9}{'queue s':>9}{'msg/s':>8}{'send pass msg/s':>17}"
          f"{'RSS start MiB':>15}{'peak growth MiB':>17}" + (f"{'traced peak MiB':>17}" if trace else ""))
    for s in sizes:
        print(f"{s.contacts:>10,}{s.sent:>9,}{s.vault_s + s.consent_s:>10.1f}{s.seconds:>9.1f}{s.queue_s:>9.1f}"
              f"{s.rate:>8.0f}{s.send_rate:>17.0f}{s.start_rss / 1024:>15.0f}{s.growth_mib:>17.1f}"
              + (f"{s.traced / 2**20:>17.1f}" if trace else ""))
    print(f"bare loop: {large.sent:,} pre-rendered messages ({DISTINCT} distinct) over one smtplib connection in "
          f"{bare_s:.1f} s = {bare:,.0f} msg/s")
    whole = "" if large.complete else f" (the queue pass over {large.contacts:,}, then {large.sent:,} sent)"
    print(f"engine / bare: {large.rate:,.0f} / {bare:,.0f} msg/s = {large.rate / bare:.3f}{whole}; send pass alone "
          f"{large.send_rate:,.0f} / {bare:,.0f} = {large.send_rate / bare:.3f} (x{bare / large.send_rate:.1f} the "
          "bare loop's time per message)")
    if len(sizes) > 1:
        small = sizes[0]
        print(f"memory held during the send: peak RSS growth {small.growth_mib:.1f} MiB at {small.contacts:,} "
              f"contacts, {large.growth_mib:.1f} MiB at {large.contacts:,}: x{large.growth_mib / small.growth_mib:.2f}"
              f" for x{large.contacts / small.contacts:.0f} the audience"
              + (f"; traced Python peak {small.traced / 2**20:.1f} → {large.traced / 2**20:.1f} MiB "
                 f"(x{large.traced / max(1, small.traced):.2f})" if trace else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contacts", type=int, default=100_000, help="the mailing's audience")
    parser.add_argument("--small", type=int, default=10_000, help="a smaller audience first, for memory; 0: none")
    parser.add_argument("--postgres", action="store_true", help="a scratch PostgreSQL database instead of SQLite")
    parser.add_argument("--tracemalloc", action="store_true", help="also the traced Python peak (slows the send)")
    parser.add_argument("--stop-after", type=int, default=0,
                        help="stop each send after this many messages (its queue pass still covers the audience)")
    args = parser.parse_args()
    context = multiprocessing.get_context("spawn")
    accepted = context.Value("q", 0)
    ready, stop = context.Event(), context.Event()
    port = free_port()
    server = context.Process(target=serve_smtp, args=(port, accepted, ready, stop), daemon=True)
    server.start()
    if not ready.wait(30):
        raise SystemExit("the SMTP server did not start")
    store = "PostgreSQL (scratch database)" if args.postgres else "SQLite (embedded)"
    print(f"Mailing bench on {store}, SMTP server pid {server.pid} on 127.0.0.1:{port}", flush=True)
    try:
        sizes = [one_size(context, args.postgres, n, port, accepted, args.tracemalloc, args.stop_after)
                 for n in ([args.small] if 0 < args.small < args.contacts else []) + [args.contacts]]
        before = accepted.value
        bare_s = bare_loop(port, sizes[-1].sent)
        assert accepted.value - before == sizes[-1].sent, "the bare loop's messages were not all accepted"
        report(store, sizes, bare_s, args.tracemalloc)
    finally:
        stop.set()
        server.join(30)


if __name__ == "__main__":
    main()
