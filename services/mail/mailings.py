"""Campaign mailings' use cases: create, preview with a real member, a test to the sender, send (throttled,
resumable, repeatable), progress; and the runner that does the sending beside the API.

A send goes in two passes over the campaign's contacts in contact-id order, a page at a time (memory bounded by
the page, not the audience): the first queues a Delivery for each member who may receive marketing mail (consent
for e-mail, not unsubscribed, address not on hold) and counts those who may not; the second sends each queued
Delivery at the configured pace, saving each outcome before the next message. Both passes skip what is done, so a
process that stops anywhere resumes where it stood, and a second send of the same mailing sends only to members
added since. A relay that cannot be reached makes the runner wait and try the same message again, marked on the
mailing (RelayWaiting, RelayBack) for the dashboard.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from services.identity.domain import SYSTEM, Access, Actor
from services.kernel import keyindex
from services.kernel.errors import ConcurrencyConflict, InvalidInput, NotFound
from services.kernel.idempotency import PendingRequest
from services.mail import merge, sending, template_library
from services.mail.application import Member
from services.mail.domain.delivery import Delivery, delivery_id
from services.mail.domain.mailing import Mailing, MailingIndex
from services.mail.domain.template import Kind, TemplateVersion
from services.mail.rendering import Rendered
from services.mail.transport import RelayDown, Transport

if TYPE_CHECKING:
    from services.mail.application import MailApplication

log = logging.getLogger(__name__)
PAGE = 500
RUNNER = Access(SYSTEM, merge.PURPOSE)


class NotMarketing(InvalidInput):
    pass


class NoSuchMember(NotFound):
    pass


@dataclass(frozen=True)
class Progress:
    mailing: Mailing
    campaign_name: str
    template_name: str
    counts: dict[str, Any]


@dataclass(frozen=True)
class MailPreview:
    person_id: UUID
    rendered: Rendered
    fields: tuple[str, ...]
    missing: tuple[str, ...]


def mailing_key(mailing_id: UUID) -> str:
    return f"mail-mailing:{mailing_id}"


def person_key(person_id: UUID) -> str:
    return f"mail-person:{person_id}"


def message_key(mailing: Mailing, person_id: UUID) -> str:
    return f"mailing:{mailing.id}:{person_id}"


def create(app: MailApplication, campaign_id: UUID, template_id: UUID, name: str, *, by: Actor,
           once: PendingRequest | None) -> Mailing:
    """A campaign's e-mail step with a marketing template that can be sent (published, not retired)."""
    app.campaigns.name(campaign_id)  # NotFound for an unknown campaign
    version = template_library.for_sending(app, template_id)
    if version.kind is not Kind.MARKETING:
        raise NotMarketing(f"template {version.name!r} is transactional; a campaign mailing needs a marketing one")
    mailing = Mailing.create(campaign_id, template_id, name, app.clock.now(), by.label)
    index = _index(app)
    index.add(str(mailing.id), str(campaign_id))
    app.save(mailing, index, once=once)
    return mailing


def mailings(app: MailApplication, campaign_id: UUID | None) -> list[Mailing]:
    found = app.read_many([MailingIndex.create_id()], MailingIndex, skip_missing=True)
    ids = found[0].of(campaign_id) if found else []
    return sorted(app.read_many(ids, Mailing), key=lambda m: m.created_at, reverse=True)


def preview(app: MailApplication, mailing_id: UUID, person_id: UUID | None, by: Actor) -> MailPreview:
    """The mailing's template merged with a real member's data (the first with an address when none is named):
    each read of the vault an access event. MissingMergeField (422) names what the member lacks."""
    mailing = app.get(mailing_id, Mailing)
    version = _version(app, mailing)
    candidates = [person_id] if person_id else (m.person_id for m in _members(app, mailing.campaign_id))
    for candidate in candidates:
        if person_id is not None and not _is_member(app, mailing.campaign_id, candidate):
            raise NoSuchMember(f"person {candidate} is not a contact of this mailing's campaign")
        composed = sending.compose(app, version, candidate, mailing.list_id, message_key(mailing, candidate),
                                   merge.access(by), extra=_extra(app, mailing))
        if isinstance(composed, sending.Composed):
            return MailPreview(candidate, _rendered(composed), tuple(version.merge_fields()),
                               tuple(version.missing_fields(composed.data)))
        if person_id is not None:
            raise NoSuchMember(f"person {candidate} cannot be written to: {composed.replace('_', ' ')}")
    raise NoSuchMember("no contact of this campaign has an e-mail address to preview with")


def test_send(app: MailApplication, mailing_id: UUID, to: str, *, by: Actor,
              once: PendingRequest | None) -> sending.DeliveryState:
    """The mailing as the first member with an address would get it, sent to `to` (the sender's own address)."""
    mailing = app.get(mailing_id, Mailing)
    shown = preview(app, mailing_id, None, by)
    return sending.send_one(app, person_id=shown.person_id, template_id=mailing.template_id,
                            list_id=f"test:{mailing.id}", message_key=f"test:{app.clock.now().isoformat()}",
                            by=merge.access(by), extra=_extra(app, mailing), to=to, once=once)


def start(app: MailApplication, mailing_id: UUID, *, by: Actor, once: PendingRequest | None) -> Mailing:
    """Start (or start again) sending with the template's latest version; the runner does the rest."""
    mailing = app.get(mailing_id, Mailing)
    version = template_library.for_sending(app, mailing.template_id)
    mailing.start(version.number, app.clock.now(), by.label)
    app.save(mailing, once=once)
    app.runner.kick()
    return mailing


def progress(app: MailApplication, mailing_id: UUID) -> Progress:
    mailing = app.get(mailing_id, Mailing)
    statuses: Counter[str] = Counter()
    unsubscribed = accepted = 0
    pledged_people: set[UUID] = set()
    for page in keyindex.value_pages(app, mailing_key(mailing.id), PAGE):
        for delivery in app.read_many(page, Delivery):
            statuses[delivery.status] += 1
            accepted += delivery.was_accepted
            unsubscribed += delivery.unsubscribed
            pledged_people.add(delivery.person_id)
    pledged = sum(1 for m in _members(app, mailing.campaign_id)
                  if m.closed_reason == "pledged" and m.person_id in pledged_people)
    counts = {"audience": mailing.audience, "excluded": dict(mailing.excluded), "queued": statuses["queued"],
              "accepted": accepted, "refused": statuses["refused"], "bounced": statuses["bounced"],
              "skipped": statuses["skipped"], "unsubscribed": unsubscribed, "pledged": pledged}
    return Progress(mailing, _campaign_name(app, mailing.campaign_id), _template_name(app, mailing), counts)


# The runner.
@dataclass
class Runner:
    """Sends the mailings being sent, one thread each, in the process that runs jobs; `kick` starts those not
    running here yet (after `start`, and every minute from the job, which resumes sends after a restart)."""

    app: MailApplication
    retry_seconds: float = 30.0
    _threads: dict[UUID, threading.Thread] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    enabled: bool = True

    def kick(self) -> int:
        if not self.enabled or self._stop.is_set():
            return 0
        started = 0
        with self._lock:
            for mailing in mailings(self.app, None):
                running = self._threads.get(mailing.id)
                if mailing.sending and (running is None or not running.is_alive()):
                    thread = threading.Thread(target=self._run, args=(mailing.id,), name=f"mailing-{mailing.id}",
                                              daemon=True)
                    self._threads[mailing.id] = thread
                    thread.start()
                    started += 1
        return started

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        for thread in list(self._threads.values()):
            thread.join(timeout)

    def wait(self, timeout: float = 60.0) -> None:
        """Until every send started here has ended (tests and the shell)."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads.values()):
            thread.join(max(0.0, deadline - time.monotonic()))

    def _run(self, mailing_id: UUID) -> None:
        try:
            run(self.app, mailing_id, self._stop, self.retry_seconds)
        except Exception:
            log.exception("mailing %s: the send stopped; the next kick resumes it", mailing_id)


def run(app: MailApplication, mailing_id: UUID, stop: threading.Event, retry_seconds: float = 30.0) -> None:
    """Queue, then send, what is left of this mailing's current send; finish it when nothing is left."""
    mailing = app.get(mailing_id, Mailing)
    if not mailing.sending:
        return
    version = _version(app, mailing)
    if mailing.queued_send != mailing.sends:
        _queue(app, mailing, version)
    way = app.transport()
    try:
        pace = Pace(app.settings.per_minute)
        deferred = _send_queued(app, mailing_id, version, way, stop, pace, retry_seconds)
        while deferred and not stop.is_set():
            deferred = _send_queued(app, mailing_id, version, way, stop, pace, retry_seconds)
    finally:
        way.close()
    if stop.is_set():
        return
    mailing = app.get(mailing_id, Mailing)
    mailing.finish(app.clock.now())
    app.save(mailing)
    log.info("mailing %s sent", mailing_id)


class Pace:
    """At most `per_minute` messages a minute, evenly spaced (real time: a relay's limits are in real time)."""

    def __init__(self, per_minute: int) -> None:
        self.gap = 60.0 / per_minute
        self.next_at = time.monotonic()

    def wait(self, stop: threading.Event) -> None:
        now = time.monotonic()
        if self.next_at > now:
            pause(stop, self.next_at - now)
        self.next_at = max(self.next_at, now) + self.gap


def pause(stop: threading.Event, seconds: float) -> None:
    """Sleep `seconds`, or less when `stop` is set. Short relative sleeps, not a timed wait on the event: a timed
    wait is an absolute instant on the monotonic clock, which a shifted clock (a test's libfaketime) turns into
    no wait at all or one that never ends."""
    deadline = time.monotonic() + seconds
    while not stop.is_set():
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(left, 0.1))


def _queue(app: MailApplication, mailing: Mailing, version: TemplateVersion) -> None:
    """A Delivery for each member who may receive it and has none yet; those who may not, counted by reason."""
    audience, excluded = 0, Counter[str]()
    for page in _pages(app, mailing.campaign_id):
        audience += len(page)
        ids = {m.person_id: _delivery_id(app, mailing, m.person_id) for m in page}
        have = {d.id for d in app.read_many(list(ids.values()), Delivery, skip_missing=True)}
        new: list[Any] = []
        for member in page:
            if ids[member.person_id] in have:
                continue
            refusal = sending.marketing_refusal(app, member.person_id)
            if refusal:
                excluded[refusal] += 1
                continue
            delivery = Delivery(member.person_id, mailing.list_id, sending.reference(
                app, mailing.list_id, message_key(mailing, member.person_id)), version.kind.value,
                mailing.template_id, version.number, app.clock.now(), mailing=str(mailing.id))
            new += [delivery, keyindex.entry(mailing_key(mailing.id), delivery.id),
                    keyindex.entry(person_key(member.person_id), delivery.id)]
        if new:
            app.save(*new)
    fresh = app.get(mailing.id, Mailing)
    fresh.queued(audience, dict(excluded), app.clock.now())
    app.save(fresh)


def _send_queued(app: MailApplication, mailing_id: UUID, version: TemplateVersion, way: Transport,
                 stop: threading.Event, pace: Pace, retry_seconds: float) -> int:
    """Send every queued Delivery of the mailing once, in order; how many the relay deferred (to try again)."""
    mailing = app.get(mailing_id, Mailing)
    deferred = 0
    for page in keyindex.value_pages(app, mailing_key(mailing_id), PAGE):
        waiting = [d.id for d in app.read_many(page, Delivery) if not d.done]
        for waiting_id in waiting:
            if stop.is_set():
                return 0
            delivery = app.get(waiting_id, Delivery)
            if delivery.done:
                continue
            refusal = sending.marketing_refusal(app, delivery.person_id)
            if refusal:
                delivery.skipped(refusal, app.clock.now())
                app.save(delivery)
                continue
            composed = sending.compose(app, version, delivery.person_id, mailing.list_id,
                                       message_key(mailing, delivery.person_id), RUNNER, _extra(app, mailing))
            if isinstance(composed, str):
                delivery.skipped(composed, app.clock.now())
                app.save(delivery)
                continue
            pace.wait(stop)
            _hand_over_until_sent(app, mailing_id, way, delivery, composed, stop, retry_seconds)
            deferred += delivery.status == "queued"
    return deferred


def _hand_over_until_sent(app: MailApplication, mailing_id: UUID, way: Transport, delivery: Delivery,
                          composed: sending.Composed, stop: threading.Event, retry_seconds: float) -> None:
    waiting = 0.0
    while not stop.is_set():
        try:
            sending.hand_over(app, way, delivery, composed, sending.relay_name(app))
        except RelayDown as down:
            _mark(app, mailing_id, lambda m, error=str(down): m.relay_down(error, app.clock.now()))
            waiting = min(max(waiting * 2, 1.0), retry_seconds)
            log.warning("mailing %s: the relay is down (%s); trying again in %.0f s", mailing_id, down, waiting)
            pause(stop, waiting)
            continue
        if waiting:
            _mark(app, mailing_id, lambda m: m.relay_up(app.clock.now()))
        return


def _mark(app: MailApplication, mailing_id: UUID, change: Any) -> None:
    for _ in range(3):
        mailing = app.get(mailing_id, Mailing)
        change(mailing)
        if not mailing.pending_events:
            return
        try:
            app.save(mailing)
            return
        except ConcurrencyConflict:
            continue


def _delivery_id(app: MailApplication, mailing: Mailing, person_id: UUID) -> UUID:
    return delivery_id(person_id, sending.reference(app, mailing.list_id, message_key(mailing, person_id)))


def _pages(app: MailApplication, campaign_id: UUID) -> Iterator[list[Member]]:
    after: UUID | None = None
    while True:
        page = list(app.campaigns.members(campaign_id, after, PAGE))
        if not page:
            return
        yield page
        after = page[-1].contact_id


def _members(app: MailApplication, campaign_id: UUID) -> Iterator[Member]:
    for page in _pages(app, campaign_id):
        yield from page


def _is_member(app: MailApplication, campaign_id: UUID, person_id: UUID) -> bool:
    return any(m.person_id == person_id for m in _members(app, campaign_id))


def _extra(app: MailApplication, mailing: Mailing) -> dict[str, Any]:
    return {"campaign": {"name": _campaign_name(app, mailing.campaign_id)}}


def _campaign_name(app: MailApplication, campaign_id: UUID) -> str:
    try:
        return app.campaigns.name(campaign_id)
    except NotFound:
        return ""


def _template_name(app: MailApplication, mailing: Mailing) -> str:
    return template_library.version(app, mailing.template_id).name


def _version(app: MailApplication, mailing: Mailing) -> TemplateVersion:
    if mailing.template_version is None:
        return template_library.for_sending(app, mailing.template_id)
    return template_library.version(app, mailing.template_id, mailing.template_version)


def _rendered(composed: sending.Composed) -> Rendered:
    message = composed.message
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return Rendered(str(message["Subject"]), html.get_content() if html is not None else "",
                    text.get_content() if text is not None else "")


def _index(app: MailApplication) -> MailingIndex:
    try:
        return app.get(MailingIndex.create_id(), MailingIndex)
    except NotFound:
        return MailingIndex()


