"""The telephony use cases: where an inbound call goes, and what each leg's facts do to the calls they belong to.

Routing reads only the Switchboard (who of the helpline is on duty, who is ringing or talking, who was offered a
call least recently) and the PhoneCall; one save holds the decision, so two calls arriving together never ring the
same volunteer (the second decision retries on the first one's Switchboard). A leg's facts come from a provider or
the SIP proxy, twice or out of order: the PhoneCall takes each once; an answered leg starts the volunteer's Call
(network-timed, talk time from the answer), the line closing hangs it up, and the volunteer gives the outcome.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from eventsourcing.utils import get_topic

from services.calls.contract import Disposition
from services.calls.domain.call import NETWORK, Call, Direction
from services.calls.domain.call_log import CallLog, call_log_id, month_of
from services.calls.domain.caller import parse_caller_number
from services.calls.domain.phone_call import PhoneCall, phone_call_id
from services.calls.domain.shift import Presence
from services.calls.domain.switchboard import SWITCHBOARD_ID, Switchboard
from services.calls.domain.volunteer import Role, Volunteer
from services.calls.telephony.port import FINAL, Decision, LegReport, LegStatus, LegView, Target
from services.identity.domain import SYSTEM, Access
from services.kernel import upgrades
from services.kernel.errors import InvalidInput, NotFound, retried
from services.kernel.settings import TelephonySettings

if TYPE_CHECKING:
    from services.calls.application import CallsApplication

ROME = ZoneInfo("Europe/Rome")
RETRIES = 8
STALE_CONNECTION = timedelta(hours=6)  # no helpline or campaign call lasts this long: its end report was lost
PURPOSE = "telephony"


class UnknownLine(InvalidInput):
    pass


class Telephony:
    """The port's use cases on the calls application."""

    def __init__(self, app: CallsApplication, settings: TelephonySettings) -> None:
        self.app = app
        self.settings = settings

    # Inbound routing

    def route(self, provider: str, call_id: str, line: str, caller: str | None, *,
              after_leg: str | None = None) -> Decision:
        """Whom to ring next for this inbound call: the first question (after_leg None) or the one after a leg
        ended unanswered. Asked twice for the same step, the same answer."""
        if line != self.settings.helpline:
            raise UnknownLine(f"line {line!r} is not this installation's helpline ({self.settings.helpline!r})")
        return retried(lambda: self._route(provider, call_id, line, caller, after_leg), RETRIES)

    def _route(self, provider: str, call_id: str, line: str, caller: str | None, after_leg: str | None) -> Decision:
        now = self.app.clock.now()
        pid = phone_call_id(provider, call_id)
        try:
            call = self.app.get(pid, PhoneCall)
            new = False
        except NotFound:
            call = PhoneCall(provider, call_id, "inbound", line, now)
            new = True
        given = call.offer_after(after_leg)
        if given is not None:
            return self._decision(given)
        if after_leg is not None and after_leg not in call.legs:
            raise InvalidInput(f"leg {after_leg!r} was never offered this call; ask again after a leg it rang")
        board = self._board()
        if after_leg is not None:
            status = call.leg_status(after_leg)
            if status not in FINAL:  # the adapter asks before reporting: the leg ended unanswered all the same
                call.report(after_leg, LegStatus.NO_ANSWER.value, now, 0, None, after_leg)
            board.free(after_leg, str(pid), now)
        if call.answered_by is not None or call.over:
            return Decision("fallback", (), self.settings.number, 0, False, "message", self.settings.hours)
        candidates = board.candidates(call.tried)
        chosen = candidates if self._ring_all(now) else candidates[:1]
        if chosen:
            call.offer(after_leg, chosen, self.settings.number, self.settings.ring_seconds, now)
            board.offer(str(pid), chosen, now)
        else:
            code = f"{secrets.randbelow(10**6):06d}" if self.settings.fallback == "voicemail" else None
            call.fall_back(after_leg, self.settings.fallback, code, now)
        number = _number_or_none(caller) if new and caller else None
        if number is not None:
            with self.app.vault.new_people({pid: {"caller_number": number}}, self.app.name, self.app.existing):
                self.app.save(call, board)
        else:
            self.app.save(call, board)
        offered = call.offer_after(after_leg)
        assert offered is not None
        return self._decision(offered)

    def _ring_all(self, now: datetime) -> bool:
        if self.settings.strategy == "ring-all":
            return True
        if self.settings.ring_all_hours is None:
            return False
        start, end = self.settings.ring_all_hours
        hour = now.astimezone(ROME).hour
        return start <= hour < end if start < end else hour >= start or hour < end

    def _decision(self, offer: dict[str, Any]) -> Decision:
        if offer["fallback"] is not None:
            return Decision("fallback", (), self.settings.number, 0, False, offer["fallback"], self.settings.hours,
                            offer.get("dialback_code"))
        targets = tuple(Target(UUID(v), v) for v in offer["volunteers"])
        return Decision("dial", targets, offer["caller_id"], offer["timeout"], self.settings.confirm)

    def _board(self) -> Switchboard:
        try:
            return self.app.get(SWITCHBOARD_ID, Switchboard)
        except NotFound:
            return Switchboard(opened_at=self.app.clock.now())

    # Presence: who is on duty

    def on_duty_changes(self, volunteer: Volunteer, presence: Presence) -> Switchboard | None:
        """The Switchboard with this helpline volunteer's duty brought in line with their presence (to save with
        it); None when nothing changes."""
        if Role.HELPLINE not in volunteer.roles:
            return None
        board = self._board()
        key, now = str(volunteer.id), self.app.clock.now()
        if presence.clocked_in and key not in board.on_duty:
            board.come_on_duty(key, presence.clocked_in_at or now)
        elif not presence.clocked_in and key in board.on_duty:
            board.go_off_duty(key, now)
        else:
            return None
        return board

    # Legs

    def report(self, report: LegReport) -> bool:
        """Record one leg fact; False when it changes nothing (seen before, or no further than what is known)."""
        return retried(lambda: self._report(report), RETRIES)

    def _report(self, r: LegReport) -> bool:
        pid = phone_call_id(r.provider, r.call_id)
        try:
            call = self.app.get(pid, PhoneCall)
        except NotFound:
            if r.direction == "inbound":
                raise NotFound(f"no inbound call {r.call_id!r} from {r.provider} was routed here") from None
            if r.volunteer_id is None or r.campaign_id is None or r.contact_id is None:
                raise InvalidInput("an outbound call's first leg report names volunteer_id, campaign_id and "
                                   "contact_id (as the dial was allowed)") from None
            call = PhoneCall(r.provider, r.call_id, "outbound", "", r.at, str(r.volunteer_id), str(r.campaign_id),
                             str(r.contact_id))
        if not call.accepts(r.leg_id, r.status, r.sequence):
            return False
        volunteer = call.volunteer_id if call.direction == "outbound" else \
            (call.legs.get(r.leg_id, {}).get("volunteer_id") or (r.leg_id or None))
        call.report(r.leg_id, r.status.value, r.at, r.sequence, r.duration, volunteer)
        board = self._board()  # one copy per report: saved once, with whatever the fact changed on it
        if call.direction == "outbound":
            changed = self._outbound(call, r, board)
        elif r.leg_id == "":
            changed = self._caller_leg(call, r, board)
        else:
            changed = self._volunteer_leg(call, r, str(volunteer), board)
        self.app.save(call, board, *changed)
        return True

    def _volunteer_leg(self, call: PhoneCall, r: LegReport, volunteer: str, board: Switchboard) -> list[Any]:
        """A leg to a helpline volunteer: answered starts their Call; over frees them (and hangs the Call up)."""
        changed: list[Any] = []
        answered = r.status is LegStatus.ANSWERED or (
            r.status is LegStatus.COMPLETED and call.answered_at(r.leg_id) is None and (r.duration or 0) > 0)
        if answered and call.answered_by is None and not call.over:
            at = r.at if r.status is LegStatus.ANSWERED else r.at - timedelta(seconds=r.duration or 0)
            changed += self._answer(call, r.leg_id, volunteer, at)
        if r.status in FINAL:
            board.free(volunteer, str(call.id), r.at)
            if call.answered_by == volunteer and call.call is not None:
                changed += self._hang_up(call, r.at, board, already=[c for c in changed if isinstance(c, Call)])
            elif r.status is LegStatus.CANCELLED and call.answered_by is None and call.outcome != "abandoned":
                call.abandon(r.at)  # the caller hung up while this volunteer's phone rang
        return changed

    def _caller_leg(self, call: PhoneCall, r: LegReport, board: Switchboard) -> list[Any]:
        """The caller's own leg closed: abandoned if nobody answered (every phone still ringing is freed)."""
        if r.status not in FINAL:
            return []
        if call.answered_by is not None and call.call is not None:
            return self._hang_up(call, r.at, board, already=[])
        if call.outcome != "fallback" and call.outcome != "abandoned":
            call.abandon(r.at)
        for volunteer, _since in call.ringing():
            board.free(volunteer, str(call.id), r.at)
        return []

    def _answer(self, call: PhoneCall, leg_id: str, volunteer: str, at: datetime) -> list[Any]:
        volunteer_id = UUID(volunteer)
        presence = self.app.get(Presence.create_id(volunteer_id), Presence)
        answered = Call.start(volunteer_id, Direction.INBOUND, None, None, presence.shift_id, at, NETWORK)
        answered.connect(at)
        call.answer(leg_id, volunteer, str(answered.id), at)
        log = self._log(volunteer, at)
        log.log(answered.id, answered.direction.value, answered.started_at)
        self._copy_caller(call.id, answered.id)
        return [answered, log]

    def _copy_caller(self, phone_call: UUID, answered: UUID) -> None:
        """The caller's number, kept under the phone call, goes with the Call the volunteer sees (as a Call started
        from the helpline screen keeps it)."""
        try:
            number = self.app.vault.get(phone_call, Access(SYSTEM, f"{PURPOSE}: the caller's number onto the "
                                                                   "answered call"), fields=("caller_number",))
        except LookupError:
            return
        if number.get("caller_number"):
            self.app.vault.put_many({answered: {"caller_number": number["caller_number"]}}, merge=True)

    def _hang_up(self, call: PhoneCall, at: datetime, board: Switchboard, already: list[Call]) -> list[Any]:
        """The answered Call's line closed: talk time stops, and the volunteer's wrap-up begins."""
        assert call.call is not None
        answered = already[0] if already else self.app.get(UUID(call.call), Call)
        if answered.ended_at is None and answered.hang_up(at):
            board.start_wrap_up(str(answered.id), at)
            return [] if already else [answered]
        return []

    def _outbound(self, call: PhoneCall, r: LegReport, board: Switchboard) -> list[Any]:
        """A volunteer's dial to a donor through the product: the first fact starts their Call (network-timed),
        the answer connects it, the end hangs it up; the volunteer is busy for the helpline meanwhile."""
        assert call.volunteer_id is not None
        changed: list[Any] = []
        if call.call is None:
            volunteer_id = UUID(call.volunteer_id)
            presence = self.app.get(Presence.create_id(volunteer_id), Presence)
            dialled = Call.start(volunteer_id, Direction.OUTBOUND, UUID(str(call.campaign_id)),
                                 UUID(str(call.contact_id)), presence.shift_id, r.at, NETWORK)
            call.dialled(str(dialled.id), r.at)
            log = self._log(call.volunteer_id, r.at)
            log.log(dialled.id, dialled.direction.value, dialled.started_at)
            changed += [dialled, log]
            if call.volunteer_id not in board.busy:
                board.offer(str(call.id), [call.volunteer_id], r.at)
        else:
            dialled = self.app.get(UUID(call.call), Call)
            changed.append(dialled)
        if dialled.ended_at is not None:
            return changed
        answered_at = r.at if r.status is LegStatus.ANSWERED else (
            r.at - timedelta(seconds=r.duration) if r.status is LegStatus.COMPLETED and r.duration else None)
        if answered_at is not None and dialled.connected_at is None:
            dialled.connect(max(answered_at, dialled.started_at))
        if r.status in FINAL:
            dialled.hang_up(r.at)
            if dialled.connected_at is None:
                # Nobody answered: nothing for the volunteer to tell, the network's word is the outcome.
                dialled.end(Disposition.BUSY if r.status is LegStatus.BUSY else Disposition.NO_ANSWER, r.at, None)
            else:
                board.start_wrap_up(str(dialled.id), r.at)
            board.free(call.volunteer_id, str(call.id), r.at)
        return changed

    def _log(self, volunteer: str, at: datetime) -> CallLog:
        try:
            return self.app.get(call_log_id(volunteer, month_of(at)), CallLog)
        except NotFound:
            return CallLog(volunteer, month_of(at))

    # Wrap-up

    def finish_wrap_up(self, call: Call) -> Switchboard | None:
        """The Switchboard with this network-timed Call's wrap-up over (to save with the Call's end); None when it
        was not waiting."""
        if call.timing != NETWORK:
            return None
        board = self._board()
        return board if board.finish_wrap_up(str(call.id)) else None

    def end_forgotten_wrap_ups(self) -> int:
        """Calls whose line closed more than the wrap-up time ago and whose outcome nobody gave end as answered
        (the talk time is the network's already); how many ended."""
        now = self.app.clock.now()
        ended = 0
        for call_id in self._board().wrap_ups_over(now - timedelta(minutes=self.settings.wrap_up_minutes)):
            ended += retried(partial(self._end_wrap_up, call_id, now), RETRIES)
        return ended

    def _end_wrap_up(self, call_id: str, now: datetime) -> int:
        call, board = self.app.get(UUID(call_id), Call), self._board()
        ended = 0
        if call.ended_at is None:
            call.end(Disposition.ANSWERED, now, None)
            ended = 1
        board.finish_wrap_up(call_id)
        self.app.save(call, board)
        return ended

    def free_stale_legs(self) -> int:
        """The safety net under lost reports (a proxy restarted mid-call): a phone still ringing a minute past its
        ring time is recorded as not answering, a line still open after STALE_CONNECTION as closed, so nobody
        stays busy for the helpline forever; how many legs were closed."""
        now = self.app.clock.now()
        closed = 0
        board = self._board()
        for volunteer, pid in list(board.busy.items()):
            call = self.app.get(UUID(pid), PhoneCall)
            found = call.leg_of(volunteer)
            if found is None:
                continue
            leg_id, leg = found
            status = LegStatus(leg["status"])
            since = max(leg["at"].values(), default=call.arrived_at)
            talking = status is LegStatus.ANSWERED or call.answered_by == volunteer
            limit = STALE_CONNECTION if talking else timedelta(seconds=self.settings.ring_seconds + 60)
            if status in FINAL or now - since <= limit:
                continue
            ending = LegStatus.COMPLETED if talking else LegStatus.NO_ANSWER
            outbound = call.direction == "outbound"
            if self.report(LegReport(call.provider, call.call_id, leg_id, ending, now, 2**31,
                                     "outbound" if outbound else "inbound",
                                     volunteer_id=UUID(volunteer) if outbound else None)):
                closed += 1
        return closed

    def sweep(self) -> None:
        """The telephony's minute: forgotten wrap-ups ended, stale legs closed."""
        self.end_forgotten_wrap_ups()
        self.free_stale_legs()

    # Reading

    def volunteer_number(self, volunteer_id: UUID, access: Access) -> str:
        """The volunteer's phone in E.164, from the vault (an access event, purpose telephony)."""
        found = self.app.vault.get(volunteer_id, Access(access.actor, f"{access.purpose} ({PURPOSE})"),
                                   fields=("phone",))
        number = _number_or_none(found.get("phone", "")) if found.get("phone") else None
        if number is None:
            raise NotFound(f"volunteer {volunteer_id} has no valid phone number in the vault")
        return number  # E.164, as providers dial it

    def live(self) -> list[LegView]:
        """The legs ringing or connected now, oldest first."""
        board = self._board()
        legs: list[LegView] = []
        calls = {pid: self.app.get(UUID(pid), PhoneCall) for pid in set(board.busy.values())}
        for volunteer, pid in board.busy.items():
            call = calls[pid]
            leg = next((leg for leg in reversed(call.legs.values()) if leg.get("volunteer_id") == volunteer), {})
            status = LegStatus(leg.get("status", LegStatus.INITIATED.value))
            times: dict[str, datetime] = leg.get("at", {})
            if status in FINAL:
                continue
            if status is LegStatus.ANSWERED or (call.direction == "inbound" and call.answered_by == volunteer):
                since = times.get(LegStatus.ANSWERED.value) or min(times.values(), default=call.arrived_at)
                legs.append(LegView(call.id, call.direction, volunteer, "connected", since, call.call))
            else:
                legs.append(LegView(call.id, call.direction, volunteer, "ringing",
                                    min(times.values(), default=call.arrived_at), call.call))
        return sorted(legs, key=lambda v: v.since)


ON_DUTY_UPGRADE = "calls: helpline volunteers clocked in before the switchboard, on duty"
OPENED = get_topic(getattr(Presence, "Opened"))  # noqa: B009  # the library makes the creation event's class


def on_duty_once(app: CallsApplication) -> int | None:
    """At start, once per store: the helpline volunteers clocked in when this store first met the switchboard
    come on duty (later clock-ins and clock-outs keep it current); how many, or None when already done."""
    if not upgrades.needed(app, ON_DUTY_UPGRADE):
        return None

    def step() -> int:
        board = app.telephony._board()
        placed = 0
        for chunk in upgrades.chunks(upgrades.created(app, [OPENED], 500)[OPENED], 500):
            presences = [p for p in app.read_many(chunk, Presence) if p.clocked_in]
            volunteers = app.read_many([UUID(str(p.volunteer_id)) for p in presences], Volunteer)
            for presence, volunteer in zip(presences, volunteers, strict=True):
                if Role.HELPLINE in volunteer.roles and str(volunteer.id) not in board.on_duty:
                    board.come_on_duty(str(volunteer.id), presence.clocked_in_at or app.clock.now())
                    placed += 1
        if placed:
            app.save(board)
        return placed

    return upgrades.run_and_record(app, ON_DUTY_UPGRADE, lambda: retried(step, RETRIES))


def _number_or_none(caller: str) -> str | None:
    """The caller's number when it is one (a withheld or SIP-only caller has none)."""
    try:
        return parse_caller_number(caller)
    except InvalidInput:
        return None
