"""Phone numbers: E.164 normalisation, the time zones a number may be in, and the person id it stands for."""

from __future__ import annotations

import hashlib
import hmac
from uuid import NAMESPACE_URL, UUID, uuid5

import phonenumbers
from phonenumbers import timezone as number_timezones

from services.kernel.errors import InvalidInput

_NAMESPACE = uuid5(NAMESPACE_URL, "angeli:person")


class InvalidPhone(InvalidInput):
    pass


def normalise(raw: str, region: str = "IT") -> str:
    """'02 1234 5678' → '+390212345678'; InvalidPhone says why a number cannot be used."""
    text = raw.strip()
    if not text:
        raise InvalidPhone("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"phone number {text!r} cannot be read: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"phone number {text!r} is not a valid number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def timezones(e164: str) -> list[str]:
    """Every IANA zone the number may be in; the calendar allows only instants allowed in all of them."""
    zones = sorted(set(number_timezones.time_zones_for_number(phonenumbers.parse(e164))) - {"Etc/Unknown"})
    if not zones:
        raise InvalidPhone(f"phone number {e164} has no known time zone; its calling window cannot be computed")
    return zones


class PersonIds:
    """A keyed hash turns a number into a stable person id: ids are not reversible without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, e164: str) -> UUID:
        return uuid5(_NAMESPACE, hmac.new(self._key, e164.encode(), hashlib.sha256).hexdigest())
