"""Call: one inbound (helpline) or outbound (campaign) call, from start to its single end."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from services.calls.contract import Disposition
from services.calls.domain.protocol import ProtocolVersion
from services.calls.domain.volunteer import Role
from services.kernel.errors import DomainError, InvalidInput


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


# Outcomes that need someone on the line, and outcomes that mean nobody came.
CONVERSATIONS = frozenset({Disposition.ANSWERED, Disposition.WRONG_NUMBER, Disposition.CALLBACK_REQUESTED,
                           Disposition.PLEDGED, Disposition.NOT_INTERESTED, Disposition.DO_NOT_CALL})
NO_CONVERSATION = frozenset({Disposition.NO_ANSWER, Disposition.BUSY})


SELF_REPORTED = "self_reported"
NETWORK = "network"


class InvalidCall(InvalidInput):
    pass


class CallAlreadyEnded(DomainError):
    pass


class CallAlreadyConnected(DomainError):
    pass


class DispositionNeedsConnection(DomainError):
    pass


class ProtocolMismatch(DomainError):
    pass


class StepAlreadyAnswered(DomainError):
    pass


class NoRedirectHere(DomainError):
    pass


class CallRoleNotHeld(DomainError):
    """The volunteer lacks the role this kind of call needs (as a shift of another role is refused: 409)."""


# The role a call needs: an inbound call is the helpline's, an outbound one a campaign's (outreach shifts).
ROLE_FOR = {Direction.INBOUND: Role.HELPLINE, Direction.OUTBOUND: Role.OUTREACH}


def require_call_role(volunteer_id: UUID, direction: Direction, roles: tuple[Role, ...]) -> None:
    """A volunteer takes a call only with the role its kind needs: the helpline's for inbound, outreach for
    outbound."""
    needed = ROLE_FOR[direction]
    if needed not in roles:
        kind = "an inbound (helpline) call" if direction is Direction.INBOUND else "an outbound (campaign) call"
        held = ", ".join(r.value for r in roles) or "none"
        raise CallRoleNotHeld(f"volunteer {volunteer_id} lacks the {needed.value} role needed to take {kind} "
                              f"(roles held: {held}); a coordinator can give it")


def parse_direction(direction: str) -> Direction:
    try:
        return Direction(direction)
    except ValueError:
        raise InvalidCall(f"direction must be inbound or outbound, got {direction!r}") from None


def parse_disposition(disposition: str) -> Disposition:
    try:
        return Disposition(disposition)
    except ValueError:
        choices = ", ".join(d.value for d in Disposition)
        raise InvalidCall(f"disposition must be one of {choices}; got {disposition!r}") from None


class Call(Aggregate):
    """Started by a clocked-in volunteer; connected at most once; ended exactly once with a disposition."""

    @classmethod
    def start(cls, volunteer_id: UUID, direction: Direction, campaign_id: UUID | None, contact_id: UUID | None,
              shift_id: str | None, started_at: datetime, timing: str = SELF_REPORTED) -> Call:
        if direction is Direction.OUTBOUND and (campaign_id is None or contact_id is None):
            raise InvalidCall("an outbound call needs the campaign_id and contact_id it is calling for")
        return cls(str(volunteer_id), direction.value, _str(campaign_id), _str(contact_id), shift_id, started_at,
                   timing)

    @event("Started")
    def __init__(self, volunteer_id: str, direction: str, campaign_id: str | None, contact_id: str | None,
                 shift_id: str | None, started_at: datetime, timing: str = SELF_REPORTED) -> None:
        self.volunteer_id = volunteer_id
        self.direction = Direction(direction)
        self.campaign_id = campaign_id
        self.contact_id = contact_id
        self.shift_id = shift_id
        self.started_at = started_at
        self.connected_at: datetime | None = None
        self.ended_at: datetime | None = None
        self.disposition: Disposition | None = None
        self.protocol: tuple[str, int] | None = None
        self.answers: dict[str, str] = {}
        self.redirects: list[dict[str, str]] = []
        # "network": the times are the provider's or the proxy's (the call passed through the product);
        # "self_reported": the volunteer pressed the buttons (a call dialled from their own phone).
        self.timing = timing
        self.hung_up_at: datetime | None = None

    def connect(self, at: datetime) -> None:
        self._require_open()
        if self.connected_at is not None:
            raise CallAlreadyConnected(f"call {self.id} was already connected at {self.connected_at.isoformat()}")
        self._connect(at)

    @event("Connected")
    def _connect(self, connected_at: datetime) -> None:
        self.connected_at = connected_at

    def hang_up(self, at: datetime) -> bool:
        """The network says the line closed: talk time stops here, whenever the volunteer gives the outcome.
        False when it had already closed (a second report)."""
        self._require_open()
        if self.hung_up_at is not None:
            return False
        if self.connected_at is not None and at < self.connected_at:
            at = self.connected_at  # clocks of two legs a hair apart: never a negative talk time
        self._hang_up(at)
        return True

    @event("HungUp")
    def _hang_up(self, hung_up_at: datetime) -> None:
        self.hung_up_at = hung_up_at

    def end(self, disposition: Disposition, at: datetime, callback_at: datetime | None) -> None:
        self._require_open()
        if disposition in CONVERSATIONS and self.connected_at is None:
            raise DispositionNeedsConnection(f"disposition {disposition.value} needs a connected call; connect first")
        if disposition in NO_CONVERSATION and self.connected_at is not None:
            raise DispositionNeedsConnection(f"call {self.id} was connected, so it cannot end as {disposition.value}")
        if (disposition is Disposition.CALLBACK_REQUESTED) != (callback_at is not None):
            raise InvalidCall("callback_at is required for callback_requested and only for it")
        if callback_at is not None and (callback_at.tzinfo is None or callback_at <= at):
            raise InvalidCall(f"callback_at must be a future time with a zone offset, got {callback_at.isoformat()}")
        talk = int(((self.hung_up_at or at) - self.connected_at).total_seconds()) if self.connected_at else 0
        self._end(self.volunteer_id, self.campaign_id, self.contact_id, disposition.value, talk, at, callback_at,
                  self.timing)

    @event("Ended")
    def _end(self, volunteer_id: str, campaign_id: str | None, contact_id: str | None, disposition: str,
             talk_seconds: int, ended_at: datetime, callback_at: datetime | None,
             timing: str = SELF_REPORTED) -> None:
        self.disposition = Disposition(disposition)
        self.ended_at = ended_at

    def record_answers(self, protocol: ProtocolVersion, answers: dict[str, str], at: datetime) -> None:
        self._require_open()
        if self.protocol is not None and self.protocol != (protocol.protocol_id, protocol.version):
            raise ProtocolMismatch(
                f"call {self.id} follows protocol {self.protocol[0]} version {self.protocol[1]}; "
                "answers must be for that version"
            )
        repeated = sorted(set(answers) & set(self.answers))
        if repeated:
            raise StepAlreadyAnswered(f"steps already answered on this call: {', '.join(repeated)}")
        protocol.check_answers(answers)
        self._record_answers(protocol.protocol_id, protocol.version, dict(answers), at)

    @event("ProtocolAnswered")
    def _record_answers(self, protocol_id: str, protocol_version: int, answers: dict[str, Any],
                        answered_at: datetime) -> None:
        self.protocol = (protocol_id, protocol_version)
        self.answers.update(answers)

    def redirect(self, protocol: ProtocolVersion, step: str, category: str, istat_code: str, target: str,
                 at: datetime) -> None:
        self._require_open()
        redirect = protocol.redirect_of(step)
        if self.protocol != (protocol.protocol_id, protocol.version) or redirect is None or redirect[1] != category:
            raise NoRedirectHere(f"step {step!r} of the protocol this call follows does not redirect")
        if self.answers.get(step) != redirect[0]:
            raise NoRedirectHere(f"step {step!r} redirects only when answered {redirect[0]!r}")
        self._redirect(step, category, istat_code, target, at)

    @event("Redirected")
    def _redirect(self, step: str, category: str, istat_code: str, target: str, redirected_at: datetime) -> None:
        self.redirects.append({"step": step, "category": category, "istat_code": istat_code, "target": target})

    def _require_open(self) -> None:
        if self.ended_at is not None:
            raise CallAlreadyEnded(f"call {self.id} already ended at {self.ended_at.isoformat()} "
                                   f"({self.disposition.value if self.disposition else ''})")


def _str(value: UUID | None) -> str | None:
    return None if value is None else str(value)
