"""Reading the next page in the background: same items in the same order, errors reach the reader."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from services.kernel.feed import read_ahead


def test_items_arrive_complete_and_in_order() -> None:
    assert list(read_ahead(iter(range(1000)), depth=3)) == list(range(1000))


def test_an_error_of_the_producer_is_raised_to_the_reader_after_the_items_before_it() -> None:
    def pages() -> Iterator[int]:
        yield 1
        yield 2
        raise ConnectionError("database went away")

    seen = []
    with pytest.raises(ConnectionError, match="went away"):
        for item in read_ahead(pages()):
            seen.append(item)
    assert seen == [1, 2]


def test_a_reader_that_stops_early_stops_the_producer() -> None:
    produced = []

    def pages() -> Iterator[int]:
        for n in range(10_000):
            produced.append(n)
            yield n

    reader = read_ahead(pages(), depth=2)
    assert next(reader) == 0
    reader.close()
    time.sleep(0.5)
    assert len(produced) <= 5
    assert not any(t.name == "read-ahead" and t.is_alive() for t in threading.enumerate())
