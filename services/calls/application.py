"""Calls use cases: get → act → save; one save per command, so a command is all or nothing."""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, ClassVar
from uuid import UUID

from services.calls import directory, indexes, week
from services.calls.directory import ImportReport
from services.calls.domain.call import Call, NoRedirectHere, parse_direction, parse_disposition, require_call_role
from services.calls.domain.call_log import (
    CallLog,
    InvalidCallQuery,
    LoggedCall,
    call_log_id,
    check_page,
    check_range,
    month_of,
    months_between,
)
from services.calls.domain.caller import InvalidCallerNumber, landline_area, parse_caller_number
from services.calls.domain.directory import (
    Municipality,
    municipality_id,
    parse_category,
    parse_istat,
    parse_name,
)
from services.calls.domain.protocol import Protocol, ProtocolVersion
from services.calls.domain.rota import Pattern
from services.calls.domain.shift import Presence, Shift
from services.calls.domain.switchboard import Switchboard
from services.calls.domain.volunteer import Volunteer, parse_roles, parse_status
from services.calls.protocol_drafts import DraftView, discard_draft, draft_of, publish_draft, save_draft
from services.calls.telephony.switchboard import Telephony
from services.calls.views import CallView, MunicipalityView, PresenceView, ProtocolSummary, ShiftView, VolunteerView
from services.identity.domain import Access, Actor
from services.kernel.clock import Clock
from services.kernel.errors import DomainError, NotFound, NotYours, retried
from services.kernel.eventstore import ServiceApplication
from services.kernel.idempotency import PendingRequest
from services.kernel.settings import TelephonySettings
from services.privacy.application import PrivacyVault


class VolunteerNotClockedIn(DomainError):
    pass


class MunicipalityAlreadyListed(DomainError):
    pass


class CallsApplication(ServiceApplication):
    name = "calls"
    # The switchboard changes with every routed call: read from its latest snapshot, not from its first event.
    snapshotting_intervals: ClassVar[dict[type[Any], int]] = {Switchboard: 50}

    def __init__(self, env: dict[str, str], vault: PrivacyVault, clock: Clock | None = None,
                 join_key: bytes | None = None, telephony: TelephonySettings | None = None) -> None:
        super().__init__(env, clock)
        self.vault = vault
        self.telephony = Telephony(self, telephony or TelephonySettings())
        # The server secret keying the digests of client addresses (the public form's limit per address): the
        # same in every process of an installation; a process given none makes its own (tests, one process).
        self.join_key = join_key or secrets.token_bytes(32)

    # Volunteers

    def register_volunteer(self, full_name: str, phone: str, email: str, roles: list[str], *,
                           once: PendingRequest | None = None) -> UUID:
        volunteer = Volunteer(parse_roles(roles), registered_at=self.clock.now())
        details = {"full_name": full_name, "phone": phone, "email": email}
        with self.vault.new_people({volunteer.id: details}, self.name, self.existing):
            self.save(volunteer, Presence(volunteer.id), once=once)
        return volunteer.id

    def volunteer(self, volunteer_id: UUID) -> VolunteerView:
        v = self.get(volunteer_id, Volunteer)
        return VolunteerView(v.id, v.roles, v.status, v.training_hours, v.version)

    def record_training(self, volunteer_id: UUID, session: str, hours: Decimal, trained_on: date, *,
                        once: PendingRequest | None = None) -> None:
        volunteer = self.get(volunteer_id, Volunteer)
        volunteer.record_training(session, hours, trained_on, recorded_at=self.clock.now())
        self.save(volunteer, once=once)

    def change_status(self, volunteer_id: UUID, status: str, *, once: PendingRequest | None = None) -> None:
        volunteer = self.get(volunteer_id, Volunteer)
        volunteer.change_status(parse_status(status), changed_at=self.clock.now())
        self.save(volunteer, once=once)

    # Shifts and presence

    def schedule_shift(self, starts_at: datetime, ends_at: datetime, role: str, capacity: int, *,
                       once: PendingRequest | None = None) -> UUID:
        shift = Shift.schedule(starts_at, ends_at, parse_roles([role])[0], capacity, scheduled_at=self.clock.now())
        week.schedule(self, shift, once=once)
        return shift.id

    def schedule_pattern(self, pattern: Pattern, role: str, capacity: int, *,
                         once: PendingRequest | None = None) -> list[UUID]:
        """Every slot of a repeating pattern in one save, or none (see week.schedule_pattern)."""
        return week.schedule_pattern(self, pattern, parse_roles([role])[0], capacity, once=once)

    def cancel_shift(self, shift_id: UUID, reason: str, *, by: Actor, once: PendingRequest | None = None) -> None:
        week.cancel(self, shift_id, reason, by=by, once=once)

    def edit_shift(self, shift_id: UUID, starts_at: datetime, ends_at: datetime, capacity: int, *, by: Actor,
                   once: PendingRequest | None = None) -> None:
        week.edit(self, shift_id, starts_at, ends_at, capacity, by=by, once=once)

    def shifts(self, start: datetime, end: datetime, role: str | None = None, volunteer_id: UUID | None = None,
               offset: int = 0, limit: int | None = None) -> list[week.SlotView]:
        return week.listing(self, start, end, parse_roles([role])[0] if role else None, volunteer_id, offset, limit)

    def coverage(self, start: datetime, days: int, role: str | None = None) -> list[week.Gap]:
        return week.coverage(self, start, days, parse_roles([role])[0] if role else None)

    def shift(self, shift_id: UUID) -> ShiftView:
        s = self.get(shift_id, Shift)
        return ShiftView(s.id, s.starts_at, s.ends_at, s.role, s.capacity, tuple(s.volunteers), s.cancelled)

    def sign_up(self, shift_id: UUID, volunteer_id: UUID, *, once: PendingRequest | None = None) -> None:
        volunteer, presence = self._active_volunteer(volunteer_id)
        shift = self.get(shift_id, Shift)
        shift.sign_up(volunteer_id, volunteer.roles, at=self.clock.now())
        presence.hold(shift)
        self.save(shift, presence, once=once)

    def cancel_sign_up(self, shift_id: UUID, volunteer_id: UUID, *, once: PendingRequest | None = None) -> None:
        shift = self.get(shift_id, Shift)
        presence = self._presence(volunteer_id)
        shift.cancel_sign_up(volunteer_id, at=self.clock.now())
        presence.release(shift_id)
        self.save(shift, presence, once=once)

    def clock_in(self, volunteer_id: UUID, *, once: PendingRequest | None = None) -> PresenceView:
        def act() -> Presence:
            volunteer, presence = self._active_volunteer(volunteer_id)
            presence.clock_in(at=self.clock.now())
            self._save_presence(volunteer, presence, once=once)
            return presence

        return _presence_view(retried(act))

    def clock_out(self, volunteer_id: UUID, *, once: PendingRequest | None = None) -> PresenceView:
        def act() -> Presence:
            presence = self._presence(volunteer_id)
            presence.clock_out(at=self.clock.now())
            self._save_presence(self.get(volunteer_id, Volunteer), presence, once=once)
            return presence

        return _presence_view(retried(act))

    def _save_presence(self, volunteer: Volunteer, presence: Presence, *, once: PendingRequest | None) -> None:
        """The presence, with the helpline's switchboard when a helpline volunteer comes on or goes off duty."""
        board = self.telephony.on_duty_changes(volunteer, presence)
        self.save(presence, *([board] if board is not None else []), once=once)

    def correct_clock_out(self, volunteer_id: UUID, at: datetime, coordinator_id: UUID, *,
                          once: PendingRequest | None = None) -> PresenceView:
        self.get(coordinator_id, Volunteer).require_coordinator()
        def act() -> Presence:
            presence = self._presence(volunteer_id)
            presence.correct_forgotten_clock_out(at, corrected_by=coordinator_id, now=self.clock.now())
            self._save_presence(self.get(volunteer_id, Volunteer), presence, once=once)
            return presence

        return _presence_view(retried(act))

    def presence(self, volunteer_id: UUID) -> PresenceView:
        return _presence_view(self._presence(volunteer_id))

    def _presence(self, volunteer_id: UUID) -> Presence:
        try:
            return self.get(Presence.create_id(volunteer_id), Presence)
        except NotFound:
            raise NotFound(f"volunteer {volunteer_id} not found") from None

    def _active_volunteer(self, volunteer_id: UUID) -> tuple[Volunteer, Presence]:
        volunteer = self.get(volunteer_id, Volunteer)
        volunteer.require_active()
        return volunteer, self._presence(volunteer_id)

    # Calls

    def start_call(self, volunteer_id: UUID, direction: str, campaign_id: UUID | None,
                   contact_id: UUID | None, *, caller_number: str | None = None,
                   once: PendingRequest | None = None) -> UUID:
        """Start a call; an inbound call's caller number (personal data) goes to the vault under the call's id."""
        kind = parse_direction(direction)
        number = parse_caller_number(caller_number) if caller_number is not None else None
        if number is not None and kind.value != "inbound":
            raise InvalidCallerNumber("caller_number is for inbound calls; an outbound call names its contact")
        presence = self._presence(volunteer_id)
        require_call_role(volunteer_id, parse_direction(direction), self.get(volunteer_id, Volunteer).roles)
        if not presence.clocked_in:
            raise VolunteerNotClockedIn(f"volunteer {volunteer_id} is not clocked in; clock in before taking calls")
        call = Call.start(volunteer_id, kind, campaign_id, contact_id, presence.shift_id,
                          started_at=self.clock.now())
        log = self._call_log(str(volunteer_id), month_of(call.started_at))
        log.log(call.id, call.direction.value, call.started_at)
        if number is None:
            self.save(call, log, once=once)
        else:
            with self.vault.new_people({call.id: {"caller_number": number}}, self.name, self.existing):
                self.save(call, log, once=once)
        return call.id

    def _call_log(self, volunteer_id: str, month: str) -> CallLog:
        try:
            return self.get(call_log_id(volunteer_id, month), CallLog)
        except NotFound:
            return CallLog(volunteer_id, month)

    def _logged(self, volunteer_id: str, months: list[str]) -> list[LoggedCall]:
        """The volunteer's calls started in these months, newest first."""
        entries: list[LoggedCall] = []
        for month in months:
            try:
                entries += self.get(call_log_id(volunteer_id, month), CallLog).entries
            except NotFound:
                continue
        return sorted(entries, key=lambda e: e.started_at, reverse=True)

    def calls(self, volunteer_id: UUID | None, direction: str | None, start: datetime | None, end: datetime | None,
              offset: int, limit: int, *, by: Actor) -> tuple[list[CallView], int]:
        """A page of one volunteer's calls started in [start, end) (by default the last 31 days up to now), newest
        first, and how many there are in all; a volunteer lists only their own calls."""
        if by.role == "volunteer":
            if volunteer_id is not None and str(volunteer_id) != str(by.volunteer_id):
                raise NotYours("a volunteer lists only their own calls: leave volunteer_id out or give your own")
            volunteer_id = by.volunteer_id
        if volunteer_id is None:
            raise InvalidCallQuery("volunteer_id is required: calls are listed one volunteer at a time")
        kind = parse_direction(direction).value if direction is not None else None
        up_to_now = end is None  # then a call started this very instant is listed too
        end = end or self.clock.now()
        start = start or end - timedelta(days=31)
        check_range(start, end)
        check_page(offset, limit)
        self._presence(volunteer_id)  # an unknown volunteer is "not found", not an empty list
        found = [e for e in self._logged(str(volunteer_id), months_between(start, end))
                 if start <= e.started_at and (e.started_at < end or (up_to_now and e.started_at == end))
                 and (kind is None or e.direction == kind)]
        page = [self._call_view(c, notes=None)
                for c in self.read_many([UUID(e.call_id) for e in found[offset:offset + limit]], Call)]
        return page, len(found)

    def open_call(self, volunteer_id: UUID, direction: str | None, access: Access) -> CallView | None:
        """The volunteer's most recent call still open (of that direction), started this month or the last one;
        what a screen resumes after a reload. None when every recent call has ended."""
        kind = parse_direction(direction).value if direction is not None else None
        self._presence(volunteer_id)
        now = self.clock.now()
        recent = self._logged(str(volunteer_id), months_between(now - timedelta(days=31), now))
        for entry in [e for e in recent if kind is None or e.direction == kind][:20]:
            call = self.get(UUID(entry.call_id), Call)
            if call.ended_at is None:
                return self.call(call.id, access)
        return None

    def _call_of_actor(self, call_id: UUID, by: Actor) -> Call:
        """The call, if `by` may change it: a volunteer only their own calls."""
        call = self.get(call_id, Call)
        if by.role == "volunteer" and str(by.volunteer_id) != str(call.volunteer_id):
            raise NotYours(f"call {call_id} is another volunteer's; a volunteer can change only their own calls")
        return call

    def connect_call(self, call_id: UUID, *, by: Actor, once: PendingRequest | None = None) -> None:
        call = self._call_of_actor(call_id, by)
        call.connect(at=self.clock.now())
        self.save(call, once=once)

    def end_call(self, call_id: UUID, disposition: str, notes: str | None, callback_at: datetime | None, *,
                 by: Actor, once: PendingRequest | None = None) -> None:
        def act() -> None:
            call = self._call_of_actor(call_id, by)
            call.end(parse_disposition(disposition), at=self.clock.now(), callback_at=callback_at)
            if notes:
                # Notes may identify a caller: they live in the vault under the call's id, never in events (beside
                # the caller's number, when the call came with one: merged, not replaced).
                self.vault.put_many({call.id: {"notes": notes}}, merge=True)
            board = self.telephony.finish_wrap_up(call)  # a network-timed call: its wrap-up is over
            self.save(call, *([board] if board is not None else []), once=once)

        retried(act)

    def call(self, call_id: UUID, access: Access) -> CallView:
        """The call, its notes read from the vault for `access`."""
        c = self.get(call_id, Call)
        private = self._private(c.id, access)
        number = private.get("caller_number")
        return self._call_view(c, private.get("notes"), number, landline_area(number) if number else None)

    @staticmethod
    def _call_view(c: Call, notes: str | None, caller_number: str | None = None,
                   caller_area: str | None = None) -> CallView:
        return CallView(c.id, c.volunteer_id, c.direction.value, c.campaign_id, c.contact_id, c.shift_id,
                        c.started_at, c.connected_at, c.ended_at, c.disposition.value if c.disposition else None,
                        c.protocol, dict(c.answers), tuple(c.redirects), notes, caller_number, caller_area,
                        c.timing, c.hung_up_at)

    def _private(self, call_id: UUID, access: Access) -> dict[str, str]:
        """The call's notes and caller number from the vault (none when never written, or erased)."""
        try:
            return self.vault.get(call_id, access, fields=("notes", "caller_number"))
        except LookupError:
            return {}

    # Protocols

    def create_protocol(self, name: str, steps: list[dict[str, Any]], *, once: PendingRequest | None = None) -> UUID:
        protocol = Protocol.create(name, created_at=self.clock.now())
        protocol.publish(steps, published_at=self.clock.now())
        self.save(protocol, indexes.protocol_index_with(self, protocol.id), once=once)
        return protocol.id

    def publish_protocol(self, protocol_id: UUID, steps: list[dict[str, Any]], *,
                         once: PendingRequest | None = None) -> int:
        protocol = self.get(protocol_id, Protocol)
        version = protocol.publish(steps, published_at=self.clock.now())
        self.save(protocol, once=once)
        return version

    def protocol_draft(self, protocol_id: UUID) -> DraftView | None:
        return draft_of(self, protocol_id)

    def save_protocol_draft(self, protocol_id: UUID, steps: list[dict[str, Any]], loaded: int | None, *,
                            by: Actor, once: PendingRequest | None = None) -> int:
        """Save the next version's draft over the revision the editor loaded (None: a new draft)."""
        return save_draft(self, protocol_id, steps, loaded, by=by, once=once)

    def discard_protocol_draft(self, protocol_id: UUID, loaded: int, *, by: Actor,
                               once: PendingRequest | None = None) -> None:
        discard_draft(self, protocol_id, loaded, by=by, once=once)

    def publish_protocol_draft(self, protocol_id: UUID, loaded: int, *, by: Actor,
                               once: PendingRequest | None = None) -> int:
        return publish_draft(self, protocol_id, loaded, by=by, once=once)

    def protocol(self, protocol_id: UUID, version: int | None = None) -> ProtocolVersion:
        return self.get(protocol_id, Protocol).published(version)

    def protocols(self) -> list[ProtocolSummary]:
        """Every protocol with its published versions, by name, found through the protocol index."""
        found = [ProtocolSummary(p.id, p.name, len(p.versions))
                 for p in self.read_many(indexes.listed_protocols(self), Protocol)]
        return sorted(found, key=lambda p: (p.name.casefold(), str(p.id)))

    def record_answers(self, call_id: UUID, protocol_id: UUID, version: int, answers: dict[str, str], *,
                       by: Actor, once: PendingRequest | None = None) -> None:
        call = self._call_of_actor(call_id, by)
        call.record_answers(self.protocol(protocol_id, version), answers, at=self.clock.now())
        self.save(call, once=once)

    def redirect_call(self, call_id: UUID, step: str, istat_code: str, *, by: Actor,
                      once: PendingRequest | None = None) -> str:
        call = self._call_of_actor(call_id, by)
        if call.protocol is None:
            raise NoRedirectHere(f"call {call_id} follows no protocol yet; record the step's answer first")
        protocol = self.protocol(UUID(call.protocol[0]), call.protocol[1])
        redirect = protocol.redirect_of(step)
        if redirect is None:
            raise NoRedirectHere(f"step {step!r} of {protocol.name} version {protocol.version} does not redirect")
        target = self._municipality(istat_code).number_for(redirect[1])
        call.redirect(protocol, step, redirect[1], istat_code, target, at=self.clock.now())
        self.save(call, once=once)
        return target

    # Directory

    def import_directory(self, raw: bytes, *, once: PendingRequest | None = None) -> ImportReport:
        """Add every valid row in one save; rows with errors are reported by line and not imported."""
        return directory.import_directory(self, raw, once=once)

    def preview_directory_import(self, raw: bytes) -> ImportReport:
        """What importing the file would do, line by line; nothing is stored."""
        return directory.import_directory(self, raw, commit=False)

    def list_municipality(self, istat_code: str, name: str, numbers: list[tuple[str, str]], *,
                          once: PendingRequest | None = None) -> MunicipalityView:
        """A municipality new to the directory, with its first numbers (category, number), in one save."""
        code = parse_istat(istat_code)
        try:
            listed = self.get(municipality_id(code), Municipality)
        except NotFound:
            pass
        else:
            raise MunicipalityAlreadyListed(f"ISTAT code {code} is already in the directory as {listed.name!r}; "
                                            "edit it instead")
        municipality = Municipality(code, parse_name(name), listed_at=self.clock.now())
        for category, number in numbers:
            municipality.add_number(parse_category(category), directory.normalise_number(number),
                                    added_at=self.clock.now())
        self.save(municipality, once=once)
        return self.municipality(code)

    def rename_municipality(self, istat_code: str, name: str, *,
                            once: PendingRequest | None = None) -> MunicipalityView:
        municipality = self._municipality(parse_istat(istat_code))
        if municipality.rename(parse_name(name), renamed_at=self.clock.now()):
            self.save(municipality, once=once)
        return self.municipality(istat_code)

    def add_directory_number(self, istat_code: str, category: str, number: str, *,
                             once: PendingRequest | None = None) -> MunicipalityView:
        """Add a number under a category; the same number already listed there changes nothing."""
        municipality = self._municipality(parse_istat(istat_code))
        kind, normalised = parse_category(category), directory.normalise_number(number)
        if municipality.add_number(kind, normalised, added_at=self.clock.now()):
            self.save(municipality, once=once)
        return self.municipality(istat_code)

    def remove_directory_number(self, istat_code: str, category: str, number: str, *,
                                once: PendingRequest | None = None) -> MunicipalityView:
        municipality = self._municipality(parse_istat(istat_code))
        municipality.remove_number(parse_category(category), directory.normalise_number(number),
                                   removed_at=self.clock.now())
        self.save(municipality, once=once)
        return self.municipality(istat_code)

    def municipality(self, istat_code: str) -> MunicipalityView:
        m = self._municipality(istat_code)
        return MunicipalityView(m.istat_code, m.name, tuple(m.numbers))

    def _municipality(self, istat_code: str) -> Municipality:
        try:
            return self.get(municipality_id(istat_code), Municipality)
        except NotFound:
            raise NotFound(f"municipality with ISTAT code {istat_code!r} is not in the directory") from None


def _presence_view(p: Presence) -> PresenceView:
    return PresenceView(p.volunteer_id, p.clocked_in_at, p.shift_id, tuple(sorted(p.slots)))
