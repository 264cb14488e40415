"""The calls service's published language: what other services may know of its messages, and nothing else.

Campaigns react to these messages (a call's outcome schedules a retry; presence and shifts feed the dialer and
the forecast). The names and values here are the messages' own; changing one changes what is published.
"""

from __future__ import annotations

from enum import StrEnum


class Disposition(StrEnum):
    """How a call ended: the `disposition` field of a Call.Ended message."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    VOICEMAIL = "voicemail"
    WRONG_NUMBER = "wrong_number"
    CALLBACK_REQUESTED = "callback_requested"
    PLEDGED = "pledged"
    NOT_INTERESTED = "not_interested"
    DO_NOT_CALL = "do_not_call"
    ABANDONED = "abandoned"


# The message types other services read, by aggregate.
CALL_STARTED = "Call.Started"
CALL_ENDED = "Call.Ended"
PRESENCE_MESSAGES = ("Presence.ClockedIn", "Presence.ClockedOut")
CLOCKED_IN = PRESENCE_MESSAGES[0]
SHIFT_MESSAGES = ("Shift.Scheduled", "Shift.SignedUp", "Shift.SignUpCancelled", "Shift.Cancelled", "Shift.Edited")

# sign-up and the volunteers' desk: the public sign-up form's vocabulary (the console renders the form from it).
# A new consent text gets a new version, so each recorded consent names the words the person agreed to.
JOIN_CONSENT_VERSION = "2026-12-v1"
JOIN_ROLES = ("helpline", "outreach")  # a coordinator is made by a coordinator, not by a form
JOIN_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
JOIN_PARTS = ("morning", "afternoon", "evening", "night")

# directory: the categories a number is listed under (the `category` of Municipality.NumberAdded messages)
DIRECTORY_CATEGORIES = ("health", "social services", "civil protection", "emergency", "police", "anti-violence",
                        "mental health", "family counselling")
