"""Answers to a body the edge cannot read say what is wrong with it and how to send it instead."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

GIULIA = {"full_name": "Giulia Rossi", "phone": "+39 02 1234 5678", "email": "giulia@example.org",
          "roles": ["helpline"]}


def test_a_json_command_sent_as_plain_text_is_415_naming_the_type_to_send(client: TestClient) -> None:
    response = client.post("/volunteers", content=json.dumps(GIULIA), headers={"Content-Type": "text/plain"})

    assert response.status_code == 415
    detail = response.json()["detail"]
    assert "application/json" in detail and "text/plain" in detail
    assert "dictionary" not in detail
    assert client.get("/stats/roster").json()["total"] == 0


def test_a_json_command_without_a_body_says_the_body_is_missing(client: TestClient) -> None:
    response = client.post("/volunteers", headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "request body is missing" in detail
    assert not detail.startswith(":")


def test_invalid_json_is_located_by_line_and_column_in_words(client: TestClient) -> None:
    body = '{\n  "full_name": "Giulia Rossi",\n  "phone": +39 02 1234 5678\n}'

    response = client.post("/volunteers", content=body, headers={"Content-Type": "application/json"})

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "not valid JSON" in detail
    assert "line 3, column 12" in detail
    assert "JSON decode error" not in detail


def test_a_field_problem_still_names_the_field(client: TestClient) -> None:
    response = client.post("/volunteers", json={**GIULIA, "roles": "helpline"})

    assert response.status_code == 422
    assert response.json()["detail"].startswith("roles: ")


def test_a_multipart_import_still_reads_its_file(client: TestClient) -> None:
    register = "phone\r\n+39 02 1234 5678\r\n"

    response = client.post("/suppression/register", data={"checked_on": "2026-11-20"},
                           files={"file": ("register.csv", register, "text/csv")})

    assert response.status_code in (200, 201), response.text
    assert response.json()["listed"] == 1


def test_a_json_body_that_is_not_an_object_says_so_about_the_request_body(client: TestClient) -> None:
    response = client.post("/volunteers", json=["Giulia Rossi"])

    assert response.status_code == 422
    assert response.json()["detail"].startswith("request body: Input should be a valid dictionary")
