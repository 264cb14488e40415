"""What a service hands the composition root: its application, routes, reactions and jobs."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from fastapi import APIRouter

from services.kernel.eventstore import ServiceApplication
from services.kernel.follower import Reaction
from services.kernel.scheduling import Job


@dataclass(frozen=True)
class Service:
    name: str
    application: ServiceApplication
    router: APIRouter
    reactions: Sequence[Reaction] = field(default_factory=tuple)
    jobs: Sequence[Job] = field(default_factory=tuple)
    # What the service holds about a data subject (by id), for the subject-access export; None when it holds nothing.
    subject_records: Callable[[UUID], dict[str, Any]] | None = None
