"""The event store's JSON: the fast transcoder writes what the library's own would, for any value an event holds."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import IntEnum, StrEnum
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    JSONTranscoder,
    TranscodingNotRegisteredError,
    UUIDAsHex,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from services.kernel.transcoder import DateAsISO, FastJSONTranscoder
from tests.kernel.test_messages import Cents


class Channel(StrEnum):
    PHONE = "phone"
    SMS = "sms"


class Priority(IntEnum):
    LOW = 1
    HIGH = 2


def both(*extra: Any) -> tuple[JSONTranscoder, JSONTranscoder]:
    """The library's transcoder and the fast one, with the transcodings every service registers (and `extra`)."""
    library, fast = JSONTranscoder(), FastJSONTranscoder()
    for transcoder in (library, fast):
        for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), DateAsISO(), *extra):
            transcoder.register(transcoding)
    return library, fast


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.text(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.decimals(allow_nan=False, allow_infinity=False, places=2), st.uuids(),
    st.datetimes(timezones=st.just(UTC)), st.dates(), st.sampled_from(Channel), st.sampled_from(Priority),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.tuples(inner, inner), st.dictionaries(st.text(max_size=8), inner, max_size=4),
), max_leaves=12)


@settings(max_examples=100, deadline=None)  # Hypothesis's default; 500 took 38 s of the loaded 2-core box
@given(st.dictionaries(st.text(max_size=12), values, max_size=8))
def test_any_event_state_is_written_as_the_library_writes_it_and_reads_back_the_same(state: dict[str, Any]) -> None:
    library, fast = both()
    written = fast.encode(state)
    assert json.loads(written) == json.loads(library.encode(state))
    assert library.decode(written) == library.decode(library.encode(state))


def test_a_donation_state_is_byte_for_byte_the_librarys() -> None:
    library, fast = both()
    state = {"timestamp": datetime(2026, 12, 7, 10, 30, tzinfo=UTC), "donor_id": UUID(int=7), "kind": Channel.SMS,
             "amount": Decimal("25.50"), "due_on": date(2027, 1, 31), "lines": [("scatole", 3)], "note": "città",
             "campaign_id": None}
    assert fast.encode(state) == library.encode(state)


@pytest.mark.parametrize("unusual", [
    {"ratio": float("nan")},  # not JSON: the library writes NaN
    {"by_day": {1: "lunedì"}},  # a key that is not text: the library writes it as "1"
    {"huge": 2**70},  # beyond 64 bits
    {"delay": timedelta(days=1)},  # no transcoding: the library names the type to register
    {"when": datetime(2026, 12, 7, 10, 30)},  # exact types only; this one is plain
])
def test_unusual_values_go_through_the_librarys_encoder(unusual: dict[str, Any]) -> None:
    library, fast = both()
    try:
        expected = library.encode(unusual)
    except TranscodingNotRegisteredError:
        with pytest.raises(TranscodingNotRegisteredError, match="timedelta"):
            fast.encode(unusual)
        return
    assert fast.encode(unusual) == expected


def test_a_custom_transcoding_replacing_a_standard_one_is_used() -> None:
    library, fast = both(Cents())
    state = {"amount": Decimal("25.50")}
    assert fast.encode(state) == library.encode(state) == b'{"amount":{"_type_":"cents","_data_":2550}}'
