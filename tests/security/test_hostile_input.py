"""Hostile input at the edge: oversized bodies, unknown fields, and failures that must not leak internals."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient

from services.kernel.http import MAX_JSON_BYTES, MAX_UPLOAD_BYTES


def test_a_json_body_over_one_mebibyte_is_413_before_any_route_runs(admin_client: TestClient) -> None:
    response = admin_client.post("/sample/notes", json={"text": "x" * MAX_JSON_BYTES})
    assert response.status_code == 413
    assert f"at most {MAX_JSON_BYTES} bytes" in response.json()["detail"]


def test_a_body_that_understates_its_length_is_still_cut_off(admin_client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:  # no Content-Length at all: chunked transfer
        yield b'{"text": "'
        for _ in range(17):
            yield b"y" * 65536
        yield b'"}'

    response = admin_client.post("/sample/notes", content=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_a_csv_upload_may_be_bigger_than_json_but_not_unbounded(admin_client: TestClient) -> None:
    two_mib = b"name,phone\r\n" + b"Giulia,+390212345678\r\n" * 100_000
    assert admin_client.post("/sample/upload", content=two_mib, headers={"Content-Type": "text/csv"}).status_code == 200
    too_big = b"x" * (MAX_UPLOAD_BYTES + 1)
    response = admin_client.post("/sample/upload", content=too_big, headers={"Content-Type": "text/csv"})
    assert response.status_code == 413


def test_an_unknown_field_in_a_command_is_422(admin_client: TestClient) -> None:
    response = admin_client.post("/sample/notes", json={"text": "ciao", "role": "administrator"})
    assert response.status_code == 422
    assert "role: Extra inputs are not permitted" in response.json()["detail"]


def test_an_unexpected_failure_shows_a_reference_not_a_stack_trace(anonymous: TestClient) -> None:
    response = anonymous.get("/sample/boom")
    assert response.status_code == 500
    body = response.text
    assert "quote reference" in body
    assert "Traceback" not in body and "/etc/angeli" not in body and "RuntimeError" not in body


def test_malformed_json_is_422_not_500(admin_client: TestClient) -> None:
    response = admin_client.post("/sample/notes", content=b'{"text": ', headers={"Content-Type": "application/json"})
    assert response.status_code == 422
