"""MailChoices: what one person said about e-mail from the charity, as events. Marketing mail (new initiatives,
appeals) needs a consent for e-mail; the consent itself is the privacy vault's (channel e-mail, with where it was
given, when, by whom and the text shown: the privacy desk lists it beside the phone's), and each one given or
withdrawn here is also an event of this aggregate, so the mail history replays. Transactional mail (a receipt, the
thanks for a gift just made, a reply) needs none. An unsubscribe, from any mailing's link or by replying to its
unsubscribe address, stops marketing mail in every mailing of the charity; a consent given again afterwards
starts it again (both stay on record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from services.kernel.errors import DomainError, InvalidInput

_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:mail-choices")
UNSUBSCRIBE_VIA = ("one-click", "page", "mailto", "desk")


class NoConsentToWithdraw(DomainError):
    """No valid consent for marketing e-mail is held for the person. Maps to 409."""

    status_code = 409


class ConsentNotValid(InvalidInput):
    pass


@dataclass(frozen=True)
class Choice:
    kind: str  # "consented", "withdrawn" or "unsubscribed"
    at: datetime
    source: str  # where: a form, a call, the unsubscribe link of list <list>
    recorded_by: str
    text: str = ""  # the consent's words as shown to the person


class MailChoices(Aggregate):
    """One person's e-mail choices (the address itself lives in the privacy vault under `person_id`)."""

    @staticmethod
    def create_id(person_id: UUID) -> UUID:
        return uuid5(_NAMESPACE, str(person_id))

    @event("Recorded")
    def __init__(self, person_id: UUID) -> None:
        self.person_id = person_id
        self.consent_at: datetime | None = None
        self.unsubscribed_at: datetime | None = None
        self.unsubscribed_from = ""
        self.choices: list[Choice] = []

    def consent(self, at: datetime, source: str, text: str, recorded_by: str) -> None:
        source, text = source.strip(), text.strip()
        if not 3 <= len(source) <= 200:
            raise ConsentNotValid(f"say where the consent was given (3 to 200 characters); got {len(source)}")
        if not 10 <= len(text) <= 2000:
            raise ConsentNotValid("give the words of the consent as the person saw them (10 to 2000 characters);"
                                  f" got {len(text)}")
        self._consented(at, source, text, recorded_by)

    @event("ConsentGiven")
    def _consented(self, at: datetime, source: str, text: str, recorded_by: str) -> None:
        self.consent_at = at
        self.unsubscribed_at = None
        self.unsubscribed_from = ""
        self.choices.append(Choice("consented", at, source, recorded_by, text))

    def withdraw(self, at: datetime, source: str, recorded_by: str) -> None:
        self._withdrawn(at, source.strip() or "desk", recorded_by)

    @event("ConsentWithdrawn")
    def _withdrawn(self, at: datetime, source: str, recorded_by: str) -> None:
        self.consent_at = None
        self.choices.append(Choice("withdrawn", at, source, recorded_by))

    def unsubscribe(self, list_id: str, at: datetime, via: str) -> bool:
        """Stop marketing mail (False, and nothing recorded, when already unsubscribed: a second click)."""
        if via not in UNSUBSCRIBE_VIA:
            raise InvalidInput(f"unsubscribe via must be one of {', '.join(UNSUBSCRIBE_VIA)}; got {via!r}")
        if self.unsubscribed_at is not None:
            return False
        self._unsubscribed(list_id, at, via)
        return True

    @event("Unsubscribed")
    def _unsubscribed(self, list_id: str, at: datetime, via: str) -> None:
        self.unsubscribed_at = at
        self.unsubscribed_from = list_id
        self.choices.append(Choice("unsubscribed", at, f"{via} from {list_id}", "recipient"))

    def marketing_refusal(self, consented: bool) -> str:
        """Why no marketing mail may go to this person ('' when it may), `consented` saying whether the vault
        holds a valid consent for marketing e-mail."""
        if self.unsubscribed_at is not None:
            return "unsubscribed"
        return "" if consented else "no_consent"
