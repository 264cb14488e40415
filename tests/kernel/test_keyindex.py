"""Key index entries in the event store: a key's values by a range scan, the values common to several keys."""

from __future__ import annotations

from pathlib import Path
from uuid import UUID, uuid4

import pytest

from services.kernel import keyindex
from services.kernel.eventstore import ServiceApplication

GIULIA, MARCO, LUCA = uuid4(), uuid4(), uuid4()


@pytest.fixture(params=["memory", "sqlite"])
def app(request: pytest.FixtureRequest, tmp_path: Path) -> ServiceApplication:
    if request.param == "memory":
        return ServiceApplication({"PERSISTENCE_MODULE": "eventsourcing.popo"})
    return ServiceApplication({"PERSISTENCE_MODULE": "eventsourcing.sqlite", "CREATE_TABLE": "y",
                               "SQLITE_DBNAME": str(tmp_path / "index.db")})


def listed(app: ServiceApplication, rows: list[tuple[str, UUID]]) -> None:
    app.save(*(keyindex.entry(key, value) for key, value in rows))


def test_a_keys_values_and_the_values_common_to_several_keys(app: ServiceApplication) -> None:
    listed(app, [("giulia", GIULIA), ("rossi", GIULIA), ("rossi", MARCO), ("marco", MARCO), ("giulia", LUCA)])
    assert set(keyindex.values(app, "rossi")) == {GIULIA, MARCO}
    assert set(keyindex.values(app, "giulia")) == {GIULIA, LUCA}
    assert keyindex.values(app, "bianchi") == []
    assert keyindex.common_values(app, ["giulia", "rossi"]) == [GIULIA]
    assert keyindex.common_values(app, ["marco", "giulia"]) == []
    assert set(keyindex.common_values(app, ["giulia"])) == {GIULIA, LUCA}
    assert keyindex.common_values(app, []) == []


def test_one_value_listed_twice_under_one_key_is_refused(app: ServiceApplication) -> None:
    listed(app, [("rossi", GIULIA)])
    with pytest.raises(Exception, match="changed this record"):
        listed(app, [("rossi", GIULIA)])


def test_a_keys_values_come_a_page_at_a_time_in_the_order_of_all_of_them(app: ServiceApplication) -> None:
    deliveries = [uuid4() for _ in range(7)]
    listed(app, [("mailing:natale", d) for d in deliveries] + [("mailing:estate", GIULIA)])
    pages = list(keyindex.value_pages(app, "mailing:natale", 3))
    assert [len(page) for page in pages] == [3, 3, 1]
    assert [value for page in pages for value in page] == keyindex.values(app, "mailing:natale")
    assert list(keyindex.value_pages(app, "mailing:bianchi", 3)) == []
