"""Helpline protocols: versioned steps and questions written by experts; a published version never changes.

The next version is written as a draft kept on the protocol (DraftSaved, DraftDiscarded, DraftPublished), so that
several editors see the same draft. A draft is checked as a version is, except that it may still be unfinished
where writing takes time: a step's question may be empty, and a redirect may name its answer or its category
before the other. Everything else (keys, distinct keys and choices, the redirect's answer among the choices, 1 to
100 steps) holds for every saved draft, and a draft is published only when it passes a version's full check.
Each saved draft has a revision, counted over the protocol's life; saving, discarding or publishing names the
revision the editor loaded, and is refused when the draft has changed since (optimistic concurrency).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput, NotFound

_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class InvalidProtocol(InvalidInput):
    pass


class InvalidAnswer(InvalidInput):
    pass


class UnknownProtocolVersion(NotFound):
    pass


class DraftConflict(DomainError):
    """The draft changed (saved again, discarded or published) since the editor loaded it."""


class DraftNotFinished(InvalidInput):
    """The draft to publish fails a version's full check (an empty question, a half-written redirect): 422, as
    publishing those steps directly would be; 409 stays for a draft changed since it was loaded."""


class NoDraft(NotFound):
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
    def parse(cls, raw: dict[str, Any], position: int, *, draft: bool = False) -> Step:
        """A step as a published version needs it; with `draft`, the question may be empty and a redirect
        half-written (see the module's docstring)."""
        key, question = str(raw.get("key", "")), str(raw.get("question", "")).strip()
        where = f"step {position}"
        if not _KEY.match(key):
            raise InvalidProtocol(f"{where}: key must be lower-case letters, digits or _ (max 40), got {key!r}")
        if not question and not draft:
            raise InvalidProtocol(f"{where}: question must not be empty")
        choices = tuple(str(c) for c in raw.get("choices") or ())
        if len(set(choices)) != len(choices):
            raise InvalidProtocol(f"{where}: choices must be distinct, got {list(choices)}")
        when, target = raw.get("redirect_when"), raw.get("redirect_to")
        if (when is None) != (target is None) and not draft:
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
        self.draft: Draft | None = None
        self.draft_revisions = 0  # the last revision given to a saved draft, over the protocol's life
        self.draft_ended: DraftEnd | None = None  # how the last draft ended, for a late editor's refusal

    def publish(self, steps: list[dict[str, Any]], published_at: datetime) -> int:
        self._publish(len(self.versions) + 1, [s.as_dict() for s in _parse_steps(steps)], published_at)
        return len(self.versions)

    # The draft of the next version

    def save_draft(self, steps: list[dict[str, Any]], loaded: int | None, saved_at: datetime, saved_by: str) -> int:
        """Save the draft over the revision the editor `loaded` (None: they start a new draft); its new revision."""
        parsed = _parse_steps(steps, draft=True)
        if loaded is not None or self.draft is not None:  # None with no draft: a new draft
            self._require_loaded(loaded, "save over it")
        based_on = len(self.versions) if self.draft is None else self.draft.based_on
        self._save_draft(self.draft_revisions + 1, based_on, [s.as_dict() for s in parsed], saved_at, saved_by)
        return self.draft_revisions

    @event("DraftSaved")
    def _save_draft(self, revision: int, based_on: int, steps: list[dict[str, Any]], saved_at: datetime,
                    saved_by: str) -> None:
        self.draft = Draft(revision, based_on, _steps(steps), saved_at, saved_by)
        self.draft_revisions = revision
        self.draft_ended = None

    def discard_draft(self, loaded: int, discarded_at: datetime, discarded_by: str) -> None:
        self._require_loaded(loaded, "discard it")
        self._discard_draft(loaded, discarded_at, discarded_by)

    @event("DraftDiscarded")
    def _discard_draft(self, revision: int, discarded_at: datetime, discarded_by: str) -> None:
        self.draft = None
        self.draft_ended = DraftEnd(revision, "discarded", discarded_at, discarded_by, None)

    def publish_draft(self, loaded: int, published_at: datetime, published_by: str) -> int:
        """Publish the draft as the next version (it must pass a version's full check); the version's number."""
        draft = self._require_loaded(loaded, "publish it")
        try:
            steps = _parse_steps([s.as_dict() for s in draft.steps])
        except InvalidProtocol as error:
            raise DraftNotFinished(f"the draft is not finished, so it cannot be published yet: {error.message}"
                                   ) from None
        self._publish(len(self.versions) + 1, [s.as_dict() for s in steps], published_at)
        self._draft_published(loaded, len(self.versions), published_at, published_by)
        return len(self.versions)

    @event("DraftPublished")
    def _draft_published(self, revision: int, version: int, published_at: datetime, published_by: str) -> None:
        self.draft = None
        self.draft_ended = DraftEnd(revision, "published", published_at, published_by, version)

    def _require_loaded(self, loaded: int | None, doing: str) -> Draft:
        """The draft the editor loaded; refused when it changed since: saved again, discarded or published."""
        current = self.draft
        if current is not None and loaded == current.revision:
            return current
        if current is not None and loaded is None:
            raise DraftConflict(
                f"protocol {self.name!r} already has a draft (revision {current.revision}, saved at "
                f"{current.saved_at.isoformat()} by {current.saved_by}): load it to {doing}, or discard it first")
        if current is not None:
            raise DraftConflict(
                f"the draft was saved again after you loaded revision {loaded}: revision {current.revision}, "
                f"saved at {current.saved_at.isoformat()} by {current.saved_by}; load it and make your changes again")
        if loaded is None:
            raise NoDraft(f"protocol {self.name!r} has no draft")
        ended = self.draft_ended
        if ended is not None and ended.revision == loaded:
            how = f"published as version {ended.version}" if ended.how == "published" else "discarded"
            raise DraftConflict(f"the draft you loaded (revision {loaded}) was {how} at {ended.at.isoformat()} "
                                f"by {ended.by}; start a new draft from the latest version")
        if 1 <= loaded < self.draft_revisions:
            raise DraftConflict(f"the draft you loaded (revision {loaded}) was saved again and has ended since; "
                                "start a new draft from the latest version")
        raise NoDraft(f"protocol {self.name!r} has no draft revision {loaded}")

    @event("VersionPublished")
    def _publish(self, version: int, steps: list[dict[str, Any]], published_at: datetime) -> None:
        self.versions.append(_steps(steps))

    def published(self, number: int | None = None) -> ProtocolVersion:
        """The given version, or the latest when `number` is None."""
        if not self.versions:
            raise UnknownProtocolVersion(f"protocol {self.name!r} has no published version yet")
        number = len(self.versions) if number is None else number
        if not 1 <= number <= len(self.versions):
            raise UnknownProtocolVersion(f"protocol {self.name!r} has versions 1 to {len(self.versions)}, not {number}")
        return ProtocolVersion(str(self.id), self.name, number, self.versions[number - 1])


@dataclass(frozen=True)
class Draft:
    """The next version being written: its revision, the version it started from, who saved it last and when."""

    revision: int
    based_on: int
    steps: tuple[Step, ...]
    saved_at: datetime
    saved_by: str


@dataclass(frozen=True)
class DraftEnd:
    revision: int
    how: str  # "discarded" or "published"
    at: datetime
    by: str
    version: int | None


def _parse_steps(steps: list[dict[str, Any]], *, draft: bool = False) -> list[Step]:
    if not 1 <= len(steps) <= 100:
        raise InvalidProtocol(f"a protocol version has 1 to 100 steps, got {len(steps)}")
    parsed = [Step.parse(raw, n, draft=draft) for n, raw in enumerate(steps, start=1)]
    keys = [s.key for s in parsed]
    if len(set(keys)) != len(keys):
        raise InvalidProtocol(f"step keys must be distinct, got {keys}")
    return parsed


def _steps(stored: list[dict[str, Any]]) -> tuple[Step, ...]:
    # Stored steps were checked when saved or published; replay rebuilds them without judging them again.
    return tuple(Step(raw["key"], raw["question"], tuple(raw["choices"]), raw["redirect_when"], raw["redirect_to"])
                 for raw in stored)
