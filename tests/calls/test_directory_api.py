"""The directory's routes: preview then import a CSV (every line reported, the same file again changes nothing),
an oversize upload refused whole, list / rename / add / remove with clear 4xx and nothing stored on a bad request,
coordinators edit and volunteers only read; the paged listing follows the edits; an inbound call's caller number
and the area it names."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.calls.directory import MAX_BYTES
from services.main import Product
from tests.calls.test_api import GIULIA, post
from tests.conftest import RoleClient

CSV = ("istat_code,municipality,category,number\n"
       "015146,Milano,health,02 8578 1\n"
       "015146,Milano,protezione civile,02 884 1\n"
       "013041,Cantù,health,031 799 111\n"
       "13041,Cantù,health,031 799 111\n"
       "013041,Cantù,oroscopo,031 799 111\n"
       "013041,Cantù,health,chiamami\n").encode()


def upload(client: TestClient, path: str, raw: bytes) -> dict[str, object]:
    response = client.post(path, files={"file": ("comuni.csv", raw, "text/csv")})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def listing(client: TestClient, product: Product, **params: str) -> dict[str, object]:
    product.catch_up()
    response = client.get("/directory/municipalities", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_preview_then_import_then_the_same_file_again(client: TestClient, product: Product) -> None:
    preview = upload(client, "/directory/imports/preview", CSV)
    assert preview["committed"] is False
    assert [(x["line"], x["outcome"]) for x in preview["lines"]] == [  # type: ignore[attr-defined]
        (2, "imported"), (3, "imported"), (4, "imported"), (5, "rejected"), (6, "rejected"), (7, "rejected")]
    assert [x["reason"].split(",")[0] for x in preview["lines"][3:]] == [  # type: ignore[index]
        "ISTAT code must be 6 digits", "unknown category 'oroscopo'; the categories are health",
        "number 'chiamami' is not a phone number"]
    assert listing(client, product)["total"] == 0  # nothing stored by the preview

    done = upload(client, "/directory/imports", CSV)
    assert done["committed"] is True and done["numbers_added"] == 3
    again = upload(client, "/directory/imports", CSV)
    assert (again["numbers_added"], again["already_listed"]) == (0, 3)
    assert [x["outcome"] for x in again["lines"]][:3] == ["unchanged"] * 3  # type: ignore[attr-defined]
    page = listing(client, product, q="CANTU")
    assert page["municipalities"] == [{"istat_code": "013041", "name": "Cantù", "numbers": [
        {"category": "health", "number": "+39031799111", "display": "031 799111"}]}]
    assert listing(client, product, category="civil protection")["total"] == 1
    assert listing(client, product, q="0151")["municipalities"][0]["name"] == "Milano"  # type: ignore[index]


def test_an_oversize_upload_is_refused_whole(client: TestClient, product: Product) -> None:
    big = b"istat_code,municipality,category,number\n" + b"015146,Milano,health,02 8578 1\n" * (MAX_BYTES // 30)
    for path in ("/directory/imports/preview", "/directory/imports"):
        response = client.post(path, files={"file": ("big.csv", big, "text/csv")})
        assert response.status_code == 413 and "larger than 5000000 bytes" in response.json()["detail"]
    assert listing(client, product)["total"] == 0
    assert client.post("/directory/imports", files={"file": ("x.csv", b"comune\nMilano\n", "text/csv")}
                       ).status_code == 422


def test_edits_with_clear_errors_and_nothing_stored_on_a_bad_request(client: TestClient, product: Product) -> None:
    created = post(client, "/directory/municipalities", {"istat_code": "058091", "name": "Roma",
                                                         "numbers": [{"category": "sanità", "number": "06 6710 1"}]},
                   201)
    assert created["numbers"] == [{"category": "health", "number": "+390667101", "display": "06 67101"}]
    for body, status, words in [
        ({"istat_code": "58091", "name": "Roma"}, 422, "pattern"),
        ({"istat_code": "058091", "name": "Roma"}, 409, "already in the directory"),
        ({"istat_code": "001272", "name": "Torino", "numbers": [{"category": "oroscopo", "number": "011 1"}]},
         422, "unknown category"),
        ({"istat_code": "001272", "name": "Torino", "numbers": [{"category": "health", "number": "011 1"}]},
         422, "not a valid Italian phone number"),
        ({"istat_code": "001272", "name": "Torino", "extra": 1}, 422, "extra"),
    ]:
        response = client.post("/directory/municipalities", json=body)
        assert response.status_code == status and words in response.text, response.text
    assert post(client, "/directory/municipalities/058091/rename", {"name": "Roma Capitale"})["name"] == "Roma Capitale"
    added = post(client, "/directory/municipalities/058091/numbers", {"category": "emergency", "number": "112"})
    assert {"category": "emergency", "number": "112", "display": "112"} in added["numbers"]
    removed = post(client, "/directory/municipalities/058091/numbers/remove",
                   {"category": "health", "number": "06 6710 1"})
    assert removed["numbers"] == [{"category": "emergency", "number": "112", "display": "112"}]
    assert client.post("/directory/municipalities/058091/numbers/remove",
                       json={"category": "health", "number": "06 6710 1"}).status_code == 404
    assert client.post("/directory/municipalities/001272/numbers",
                       json={"category": "health", "number": "011 123456"}).status_code == 404
    assert client.post("/directory/municipalities/058091/rename", json={"name": ""}).status_code == 422
    page = listing(client, product)
    assert page["municipalities"] == [{"istat_code": "058091", "name": "Roma Capitale", "numbers": [
        {"category": "emergency", "number": "112", "display": "112"}]}]
    assert [c["key"] for c in client.get("/directory/categories").json()][:3] == [
        "health", "social services", "civil protection"]


def test_coordinators_edit_volunteers_read(client_as: RoleClient, product: Product) -> None:
    volunteer, coordinator, manager = client_as("volunteer"), client_as("coordinator"), client_as("campaign_manager")
    assert coordinator.post("/directory/municipalities", json={"istat_code": "058091", "name": "Roma"}
                            ).status_code == 201
    for path, body in [("/directory/municipalities", {"istat_code": "001272", "name": "Torino"}),
                       ("/directory/municipalities/058091/rename", {"name": "Rome"}),
                       ("/directory/municipalities/058091/numbers", {"category": "health", "number": "06 1"}),
                       ("/directory/municipalities/058091/numbers/remove", {"category": "health", "number": "06 1"})]:
        assert volunteer.post(path, json=body).status_code == 403
    assert volunteer.post("/directory/imports", files={"file": ("c.csv", CSV, "text/csv")}).status_code == 403
    assert volunteer.post("/directory/imports/preview", files={"file": ("c.csv", CSV, "text/csv")}).status_code == 403
    product.catch_up()
    assert volunteer.get("/directory/municipalities", params={"q": "roma"}).json()["total"] == 1
    assert manager.get("/directory/municipalities").status_code == 403


def test_an_inbound_call_with_the_callers_number_names_its_area(client: TestClient) -> None:
    giulia = post(client, "/volunteers", GIULIA, 201)["id"]
    post(client, f"/volunteers/{giulia}/clock-in")
    landline = post(client, "/calls", {"volunteer_id": giulia, "direction": "inbound",
                                       "caller_number": "02 8578 1"}, 201)
    assert (landline["caller_number"], landline["caller_area"]) == ("+390285781", "Milano")
    post(client, f"/calls/{landline['id']}/end", {"disposition": "abandoned"})
    mobile = post(client, "/calls", {"volunteer_id": giulia, "direction": "inbound",
                                     "caller_number": "333 123 4567"}, 201)
    assert (mobile["caller_number"], mobile["caller_area"]) == ("+393331234567", None)
    post(client, f"/calls/{mobile['id']}/end", {"disposition": "abandoned"})
    bad = client.post("/calls", json={"volunteer_id": giulia, "direction": "inbound", "caller_number": "02 1"})
    assert bad.status_code == 422 and "not a valid phone number" in bad.json()["detail"]
    assert client.get(f"/calls?volunteer_id={giulia}").json()["total"] == 2  # nothing stored by the bad request


def test_the_listing_pages_by_name(client: TestClient, product: Product) -> None:
    for istat, name in [("058091", "Roma"), ("001272", "Torino"), ("048017", "Firenze")]:
        post(client, "/directory/municipalities", {"istat_code": istat, "name": name}, 201)
    first = listing(client, product, limit="2")
    assert [m["name"] for m in first["municipalities"]] == ["Firenze", "Roma"]  # type: ignore[attr-defined]
    assert (first["total"], first["next_offset"]) == (3, 2)
    last = listing(client, product, limit="2", offset="2")
    assert [m["name"] for m in last["municipalities"]] == ["Torino"]  # type: ignore[attr-defined]
    assert last["next_offset"] is None
    assert client.get("/directory/municipalities", params={"limit": "0"}).status_code == 422
