"""The distributed process roles: API replicas, relays, consumers and the scheduler, each its own process."""

from __future__ import annotations

import argparse
import importlib.util
import logging
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

from services.kernel import logs
from services.kernel.kafka import ensure_topics
from services.kernel.log_redaction import redact_access_log
from services.kernel.settings import Settings

if TYPE_CHECKING:
    from services.main import Product

log = logging.getLogger(__name__)


def add_commands(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    api = commands.add_parser(
        "api", help="serve the HTTP API only (a stateless replica; distributed mode)",
        description="Serve the API without feeds or jobs, so several replicas can run behind a load balancer.",
    )
    api.add_argument("--host", help="address to bind (default ANGELI_HOST or 127.0.0.1)")
    api.add_argument("--port", type=int, help="port to bind (default ANGELI_PORT or 8000)")
    api.set_defaults(command=_api)
    relay = commands.add_parser(
        "relay", help="publish services' events to Kafka (one active per service; others stand by)",
        description="Relay each named service's notification log to its Kafka topic. A second relay of the "
        "same service waits on a PostgreSQL advisory lock and takes over when the first dies.",
    )
    relay.add_argument("sources", nargs="*", help="services to relay (default: all)")
    relay.set_defaults(command=_relay)
    consume = commands.add_parser(
        "consume", help="run projection and reaction consumers (Kafka consumer group members)",
        description="Apply Kafka messages to the named projections/reactions. Start more processes to share "
        "partitions; every member of a group gets some of them.",
    )
    consume.add_argument("names", nargs="*", help="projections or reactions to run (default: all)")
    consume.set_defaults(command=_consume)
    scheduler = commands.add_parser(
        "scheduler", help="run the periodic jobs (one active instance; others stand by)",
        description="Run APScheduler's periodic sweeps. A standby waits on a PostgreSQL advisory lock.",
    )
    scheduler.set_defaults(command=_scheduler)
    topics = commands.add_parser("topics", help="create the Kafka topics of every service if missing")
    topics.set_defaults(command=_topics)
    campaigns = commands.add_parser("campaigns", help="campaigns administration").add_subparsers(
        title="campaigns commands", metavar="CAMPAIGNS_COMMAND")
    queue = campaigns.add_parser(
        "rebuild-queue", help="rebuild the dialer's due-queue index from the campaigns events",
        description="Recompute every row of the due-queue index (contacts, holds, persons, register checks, "
        "campaign states, imports) from the campaigns event store, and who is clocked in from the calls "
        "events, then replace the index in one transaction. Use it when the campaigns_queue store was lost or "
        "damaged. Safe while volunteers dial: the aggregates still decide every lease.")
    queue.set_defaults(command=_rebuild_queue)
    projection = commands.add_parser(
        "rebuild", help="rebuild a read model from position zero without downtime",
        description="Fill a new version of the read model beside the live one (from the event stores "
        "embedded, from Kafka offset zero distributed), switch readers and consumers to it once caught up, "
        "then drop the old version. Running servers keep answering throughout.",
    )
    projection.add_argument("projection", help="read model name, e.g. ledger, transparency, roster")
    projection.add_argument("--keep-old", action="store_true", help="keep the old version instead of dropping it")
    projection.set_defaults(command=_rebuild)


def serve_http(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the product built from `settings` with uvicorn."""
    import uvicorn

    from services.main import create_app

    redact_access_log()
    app = create_app(settings)
    # uvicorn's "auto" picks the C event loop and HTTP parser when installed (pyproject.toml installs both)
    log.debug("serving HTTP with the %s event loop and the %s parser", _first_installed("uvloop", "asyncio"),
              _first_installed("httptools", "h11"))
    uvicorn.run(
        app,
        host=args.host or settings.host, port=args.port or settings.port, log_level="info",
        # The client's address is decided in one place, from ANGELI_TRUSTED_PROXIES (identity.api.client_address);
        # uvicorn's own X-Forwarded-For rewriting would trust any local peer by default.
        proxy_headers=False,
    )
    return 0


def _first_installed(*modules: str) -> str:
    return next((module for module in modules if importlib.util.find_spec(module) is not None), modules[-1])


def _api(settings: Settings, args: argparse.Namespace) -> int:
    return serve_http(replace(settings, run_feeds=False, run_jobs=False), args)


def _relay(settings: Settings, args: argparse.Namespace) -> int:
    return _serve(settings, lambda product: product.runtime.start_relays(args.sources or list(product.feeds)))


def _consume(settings: Settings, args: argparse.Namespace) -> int:
    def start(product: Product) -> None:
        names = args.names or [s.name for s in product.subscribers]
        unknown = set(names) - {s.name for s in product.subscribers}
        if unknown:
            raise SystemExit(f"angeli consume: unknown projection or reaction {sorted(unknown)}")
        product.runtime.start_consumers(names)

    return _serve(settings, start)


def _scheduler(settings: Settings, _args: argparse.Namespace) -> int:
    return _serve(settings, lambda product: product.runtime.start_jobs())


def _topics(settings: Settings, _args: argparse.Namespace) -> int:
    from services.main import build

    product = build(settings)
    ensure_topics(settings, list(product.feeds))
    print(f"topics ready: {', '.join(settings.topic(s) for s in product.feeds)}")
    product.stop()
    return 0


def _serve(settings: Settings, start: Callable[[Product], None]) -> int:
    """Build the product, start one role, and run until SIGTERM/SIGINT or until the role fails."""
    from services.main import build

    if not settings.distributed:
        print("angeli: this process role needs ANGELI_MODE=distributed (embedded mode runs all in `angeli run`)")
        return 2
    logs.configure()
    product = build(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    start(product)
    while not stop.is_set() and not product.runtime.failed.is_set():
        stop.wait(0.5)
    product.stop()
    return 1 if product.runtime.failed.is_set() else 0


def _rebuild(settings: Settings, args: argparse.Namespace) -> int:
    from services.kernel.rebuild import rebuild
    from services.main import build
    from services.projections.main import PROJECTIONS

    chosen = [p for p in PROJECTIONS if p.name == args.projection]
    if not chosen:
        print(f"angeli rebuild: unknown read model {args.projection!r}; "
              f"choose one of {', '.join(p.name for p in PROJECTIONS)}", file=sys.stderr)
        return 2
    product = build(settings)
    try:
        rebuild(settings, chosen[0], product.feeds, product.clock, keep_old=args.keep_old)
    finally:
        product.stop()
    return 0


def _rebuild_queue(settings: Settings, _args: argparse.Namespace) -> int:
    """Composition-level: the campaigns index is rebuilt from campaigns' events and calls' presence messages."""
    from services.calls.contract import PRESENCE_MESSAGES, SHIFT_MESSAGES
    from services.campaigns.application import CampaignsApplication
    from services.campaigns.dialer.rebuild import rebuild_queue
    from services.main import build

    product = build(settings)
    try:
        campaigns = product.services["campaigns"].application
        assert isinstance(campaigns, CampaignsApplication)
        presence = product.feeds["calls"].messages(types={*PRESENCE_MESSAGES, *SHIFT_MESSAGES})
        report = rebuild_queue(campaigns, presence=presence)
    finally:
        product.stop()
    print(f"due-queue rebuilt from {report.events} events: {report.campaigns} campaigns, {report.contacts} "
          f"contacts, {report.persons} persons, {report.register_checks} register checks, {report.presence} "
          "volunteers' presence")
    return 0
