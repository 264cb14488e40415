"""The week's use cases: slots and patterns placed on the role's rota, cancellations and edits, the listing
by range, role and volunteer, and the coverage by hour. get → act → save, one save per command."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING
from uuid import UUID

from services.calls.domain.rota import Pattern, Rota
from services.calls.domain.shift import InvalidShift, Presence, Shift
from services.calls.domain.volunteer import Role
from services.identity.domain import Actor
from services.kernel.errors import NotFound
from services.kernel.idempotency import PendingRequest

if TYPE_CHECKING:
    from services.calls.application import CallsApplication

MAX_RANGE = timedelta(days=62)
MAX_COVERAGE_DAYS = 31
HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class SlotView:
    id: UUID
    starts_at: datetime
    ends_at: datetime
    role: Role
    capacity: int
    volunteers: tuple[str, ...]


@dataclass(frozen=True)
class Gap:
    starts_at: datetime
    role: Role
    needed: int
    signed_up: int


def rota(app: CallsApplication, role: Role) -> Rota:
    """The role's rota, to act on (an empty one if the role has none yet)."""
    try:
        return app.get(Rota.create_id(role), Rota)
    except NotFound:
        return Rota(role.value)


def schedule(app: CallsApplication, shift: Shift, *, once: PendingRequest | None) -> None:
    """One slot: placed on its role's rota beside the others (single slots may overlap, as a reinforcement)."""
    placed = rota(app, shift.role)
    placed.place([(shift.id, shift.starts_at, shift.ends_at)], exclusive=False)
    app.save(shift, placed, once=once)


def schedule_pattern(app: CallsApplication, pattern: Pattern, role: Role, capacity: int, *,
                     once: PendingRequest | None) -> list[UUID]:
    """Every slot of the pattern, or none: refused if one is in the past or overlaps a slot of the role."""
    now = app.clock.now()
    spans = pattern.spans()
    past = [s for s, _ in spans if s <= now]
    if past:
        raise InvalidShift(f"{len(past)} of the pattern's slots would start in the past (the first at "
                           f"{past[0].isoformat()}); start the pattern on a later day; nothing was scheduled")
    shifts = [Shift.schedule(s, e, role, capacity, scheduled_at=now) for s, e in spans]
    placed = rota(app, role)
    placed.place([(s.id, s.starts_at, s.ends_at) for s in shifts], exclusive=True)
    app.save(*shifts, placed, once=once)
    return [s.id for s in shifts]


def cancel(app: CallsApplication, shift_id: UUID, reason: str, *, by: Actor, once: PendingRequest | None) -> None:
    """Cancel a future shift; its volunteers are named in the event and their slots freed."""
    shift = app.get(shift_id, Shift)
    shift.cancel(reason, by.label, at=app.clock.now())
    placed = rota(app, shift.role)
    placed.remove(shift_id)
    presences = [app.get(Presence.create_id(UUID(v)), Presence) for v in shift.volunteers]
    for presence in presences:
        presence.release(shift_id)
    app.save(shift, placed, *presences, once=once)


def edit(app: CallsApplication, shift_id: UUID, starts_at: datetime, ends_at: datetime, capacity: int, *,
         by: Actor, once: PendingRequest | None) -> None:
    """Move a future shift or change its capacity; each volunteer signed up must be free at the new times."""
    shift = app.get(shift_id, Shift)
    moved = (starts_at, ends_at) != (shift.starts_at, shift.ends_at)
    shift.edit(starts_at, ends_at, capacity, by.label, at=app.clock.now())
    changed: list[Rota | Presence] = []
    if moved:
        placed = rota(app, shift.role)
        placed.move(shift_id, shift.starts_at, shift.ends_at)
        changed.append(placed)
        for volunteer in shift.volunteers:
            presence = app.get(Presence.create_id(UUID(volunteer)), Presence)
            presence.move(shift)
            changed.append(presence)
    app.save(shift, *changed, once=once)


def listing(app: CallsApplication, start: datetime, end: datetime, role: Role | None,
            volunteer_id: UUID | None, offset: int = 0, limit: int | None = None) -> list[SlotView]:
    """Live shifts overlapping [start, end), by start: of a role, or those a volunteer holds; `limit` of them
    from `offset` (only those are read)."""
    if end <= start:
        raise InvalidShift(f"`to` must be after `from`, got {start.isoformat()} → {end.isoformat()}")
    if end - start > MAX_RANGE:
        raise InvalidShift(f"a listing covers at most {MAX_RANGE.days} days; ask for a shorter range")
    if volunteer_id is not None:
        try:
            held = app.get(Presence.create_id(volunteer_id), Presence).slots
        except NotFound:
            raise NotFound(f"volunteer {volunteer_id} not found") from None
        ids = sorted((s, i) for i, (s, e) in held.items() if e > start and s < end)
    else:
        roles = [role] if role is not None else list(Role)
        rotas = app.read_many([Rota.create_id(r) for r in roles], Rota, skip_missing=True)
        ids = sorted((s, i) for placed in rotas for s, _, i in placed.between(start, end))
    page = ids[offset:] if limit is None else ids[offset:offset + limit]
    views = [_view(s) for s in app.read_many([UUID(i) for _, i in page], Shift)]
    return [v for v in views if role is None or v.role == role]


def coverage(app: CallsApplication, start: datetime, days: int, role: Role | None) -> list[Gap]:
    """Every hour from `start` (from the current hour if later) for `days` days whose signed-up headcount is
    below the capacity the shifts of that hour need, by hour and role."""
    if not 1 <= days <= MAX_COVERAGE_DAYS:
        raise InvalidShift(f"coverage is shown for 1 to {MAX_COVERAGE_DAYS} days, got {days}")
    end = start + timedelta(days=days)
    now = app.clock.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    first = max(start.astimezone(UTC).replace(minute=0, second=0, microsecond=0), now)
    hours: dict[tuple[datetime, Role], list[int]] = {}
    for slot in listing(app, first, end, role, None) if first < end else []:
        hour = max(first, slot.starts_at.astimezone(UTC).replace(minute=0, second=0, microsecond=0))
        while hour < slot.ends_at and hour < end:
            counts = hours.setdefault((hour, slot.role), [0, 0])
            counts[0] += slot.capacity
            counts[1] += len(slot.volunteers)
            hour += HOUR
    return [Gap(hour, r, needed, signed) for (hour, r), (needed, signed) in sorted(hours.items())
            if signed < needed]


def _view(s: Shift) -> SlotView:
    return SlotView(s.id, s.starts_at, s.ends_at, s.role, s.capacity, tuple(s.volunteers))
