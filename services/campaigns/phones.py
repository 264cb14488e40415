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
    return phonenumbers.format_number(_parse(raw, region), phonenumbers.PhoneNumberFormat.E164)


def normalise_with_zones(raw: str, region: str = "IT") -> tuple[str, list[str]]:
    """The E.164 number and its time zones from ONE parse (imports read 100,000s of numbers)."""
    number = _parse(raw, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), _zones(number)


def _parse(raw: str, region: str) -> phonenumbers.PhoneNumber:
    text = raw.strip()
    if not text:
        raise InvalidPhone("phone number is empty")
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as error:
        raise InvalidPhone(f"phone number {text!r} cannot be read: {error}") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhone(f"phone number {text!r} is not a valid number")
    return number


def timezones(e164: str) -> list[str]:
    """Every IANA zone the number may be in; the calendar allows only instants allowed in all of them."""
    return _zones(phonenumbers.parse(e164))


def _zones(number: phonenumbers.PhoneNumber) -> list[str]:
    zones = sorted(set(number_timezones.time_zones_for_number(number)) - {"Etc/Unknown"})
    if not zones:
        e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        raise InvalidPhone(f"phone number {e164} has no known time zone; its calling window cannot be computed")
    return zones


class PersonIds:
    """A keyed hash turns a number into a stable person id: ids are not reversible without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, e164: str) -> UUID:
        return uuid5(_NAMESPACE, hmac.new(self._key, e164.encode(), hashlib.sha256).hexdigest())
