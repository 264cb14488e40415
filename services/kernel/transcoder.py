"""How events are written as JSON in the event store: the library's format and transcodings, written faster."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import Any

import orjson
from eventsourcing.persistence import DatetimeAsISO, DecimalAsStr, JSONTranscoder, Transcoding, UUIDAsHex


class _Unusual(Exception):
    """A value the fast path leaves to the library (a float that JSON cannot hold, a key that is not text,
    a type with no transcoding: the library then says what to register)."""


class DateAsISO(Transcoding):
    """Calendar dates (due dates, receipt days) stored as ISO text, like the library's datetimes."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


# The standard transcodings, done by the C function each one calls.
_BUILT_IN: dict[type[Transcoding], Callable[[Any], Any]] = {
    UUIDAsHex: attrgetter("hex"), DecimalAsStr: Decimal.__str__, DatetimeAsISO: datetime.isoformat,
    DateAsISO: date.isoformat,
}


class FastJSONTranscoder(JSONTranscoder):
    """Writes exactly the library's JSON format ({"_type_": name, "_data_": …} for transcoded values), which
    the library's decoder reads back; the values are walked once in Python and written by orjson, where the
    standard encoder calls back into Python for every UUID, Decimal and datetime (half the time of a save's
    encoding). Anything unusual goes through the library's encoder unchanged."""

    def __init__(self) -> None:
        super().__init__()
        self._fast: dict[type, tuple[str, Callable[[Any], Any]]] = {}

    def register(self, transcoding: Transcoding) -> None:
        super().register(transcoding)
        self._fast[transcoding.type] = (transcoding.name, _BUILT_IN.get(type(transcoding), transcoding.encode))

    def encode(self, obj: Any) -> bytes:
        try:
            return orjson.dumps(self._plain(obj))
        except (_Unusual, orjson.JSONEncodeError):
            return super().encode(obj)

    def _plain(self, value: Any) -> Any:
        kind = type(value)
        if kind is str or kind is int or kind is bool or value is None:
            return value
        if kind is dict:
            plain = {}
            for key, item in value.items():
                if type(key) is not str:
                    raise _Unusual
                plain[key] = self._plain(item)
            return plain
        if kind is list or kind is tuple:
            return [self._plain(item) for item in value]
        fast = self._fast.get(kind)
        if fast is not None:
            return {"_type_": fast[0], "_data_": self._plain(fast[1](value))}
        if isinstance(value, str | int):  # StrEnum, IntEnum: written by value, as the library's encoder does
            return value
        if kind is float and math.isfinite(value):
            return value
        raise _Unusual

