"""The caller's number on an inbound call, and the area an Italian landline belongs to (a number's prefix names
its district: 02 Milano, 031 Como); mobile numbers name no place. The number is personal data: the application
keeps it in the privacy vault, never in events."""

from __future__ import annotations

import phonenumbers
from phonenumbers import PhoneNumberType, geocoder

from services.kernel.errors import InvalidInput


class InvalidCallerNumber(InvalidInput):
    pass


def parse_caller_number(raw: str) -> str:
    """E.164 for a valid number (Italian unless it starts with + and another country code)."""
    if not 3 <= len(raw.strip()) <= 30:
        raise InvalidCallerNumber(f"caller_number must be 3 to 30 characters, got {raw!r}")
    try:
        parsed = phonenumbers.parse(raw, "IT")
    except phonenumbers.NumberParseException:
        raise InvalidCallerNumber(f"caller_number {raw!r} is not a phone number") from None
    if not phonenumbers.is_valid_number(parsed):
        raise InvalidCallerNumber(f"caller_number {raw!r} is not a valid phone number")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def landline_area(number: str) -> str | None:
    """The place an Italian landline's prefix names, in Italian ('Milano'); None for a mobile or a foreign
    number, or when the prefix names no place."""
    try:
        parsed = phonenumbers.parse(number, "IT")
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.region_code_for_number(parsed) != "IT" or \
            phonenumbers.number_type(parsed) != PhoneNumberType.FIXED_LINE:
        return None
    return geocoder.description_for_number(parsed, "it") or None
