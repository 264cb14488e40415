"""Helpline protocols: versioned steps and questions written by experts; a published version never changes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import InvalidInput, NotFound

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class InvalidProtocol(InvalidInput):
    pass


class InvalidAnswer(InvalidInput):
    pass


class UnknownProtocolVersion(NotFound):
    pass


@dataclass(frozen=True)
class Step:
    """One question; `choices` empty means a free-text answer; a step may redirect on one answer."""

    key: str
    question: str
    choices: tuple[str, ...] = ()
    redirect_when: str | None = None
    redirect_to: str | None = None  # a directory category, e.g. "health"

    @classmethod
    def parse(cls, raw: dict[str, Any], position: int) -> Step:
        key, question = str(raw.get("key", "")), str(raw.get("question", "")).strip()
        where = f"step {position}"
        if not _KEY.match(key):
            raise InvalidProtocol(f"{where}: key must be lower-case letters, digits or _ (max 40), got {key!r}")
        if not question:
            raise InvalidProtocol(f"{where}: question must not be empty")
        choices = tuple(str(c) for c in raw.get("choices") or ())
        if len(set(choices)) != len(choices):
            raise InvalidProtocol(f"{where}: choices must be distinct, got {list(choices)}")
        when, target = raw.get("redirect_when"), raw.get("redirect_to")
        if (when is None) != (target is None):
            raise InvalidProtocol(f"{where}: redirect_when and redirect_to go together")
        if when is not None and choices and when not in choices:
            raise InvalidProtocol(f"{where}: redirect_when {when!r} is not one of the choices {list(choices)}")
        return cls(key, question, choices, None if when is None else str(when), None if target is None else str(target))

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "question": self.question, "choices": list(self.choices),
                "redirect_when": self.redirect_when, "redirect_to": self.redirect_to}


@dataclass(frozen=True)
class ProtocolVersion:
    """A published version of a protocol: what a call follows and checks its answers against."""

    protocol_id: str
    name: str
    version: int
    steps: tuple[Step, ...]

    def check_answers(self, answers: dict[str, str]) -> None:
        if not answers:
            raise InvalidAnswer("answers must answer at least one step")
        steps = {s.key: s for s in self.steps}
        for key, answer in answers.items():
            step = steps.get(key)
            if step is None:
                raise InvalidAnswer(f"{key!r} is not a step of {self.name} version {self.version}")
            if step.choices and answer not in step.choices:
                raise InvalidAnswer(f"answer to {key!r} must be one of {list(step.choices)}, got {answer!r}")
            if not step.choices and not answer.strip():
                raise InvalidAnswer(f"answer to {key!r} must not be empty")

    def redirect_of(self, key: str) -> tuple[str, str] | None:
        for step in self.steps:
            if step.key == key and step.redirect_when is not None and step.redirect_to is not None:
                return step.redirect_when, step.redirect_to
        return None


class Protocol(Aggregate):
    """A call-handling protocol; each publication adds a numbered version, old versions stay readable."""

    @classmethod
    def create(cls, name: str, created_at: datetime) -> Protocol:
        if not name.strip() or len(name) > 120:
            raise InvalidProtocol(f"name must be 1 to 120 characters, got {name!r}")
        return cls(name.strip(), created_at)

    @event("Created")
    def __init__(self, name: str, created_at: datetime) -> None:
        self.name = name
        self.versions: list[tuple[Step, ...]] = []

    def publish(self, steps: list[dict[str, Any]], published_at: datetime) -> int:
        if not 1 <= len(steps) <= 100:
            raise InvalidProtocol(f"a protocol version has 1 to 100 steps, got {len(steps)}")
        parsed = [Step.parse(raw, n) for n, raw in enumerate(steps, start=1)]
        keys = [s.key for s in parsed]
        if len(set(keys)) != len(keys):
            raise InvalidProtocol(f"step keys must be distinct, got {keys}")
        self._publish(len(self.versions) + 1, [s.as_dict() for s in parsed], published_at)
        return len(self.versions)

    @event("VersionPublished")
    def _publish(self, version: int, steps: list[dict[str, Any]], published_at: datetime) -> None:
        # Stored steps were checked when published; replay rebuilds them without judging them again.
        self.versions.append(tuple(
            Step(raw["key"], raw["question"], tuple(raw["choices"]), raw["redirect_when"], raw["redirect_to"])
            for raw in steps
        ))

    def published(self, number: int | None = None) -> ProtocolVersion:
        """The given version, or the latest when `number` is None."""
        if not self.versions:
            raise UnknownProtocolVersion(f"protocol {self.name!r} has no published version yet")
        number = len(self.versions) if number is None else number
        if not 1 <= number <= len(self.versions):
            raise UnknownProtocolVersion(f"protocol {self.name!r} has versions 1 to {len(self.versions)}, not {number}")
        return ProtocolVersion(str(self.id), self.name, number, self.versions[number - 1])
