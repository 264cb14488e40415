"""The route index in front of FastAPI's router picks, for every path of the product, the entry FastAPI's own walk
over every route would pick: the same route, the same 405 for a wrong method, the same slash redirect, the same 404."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient
from starlette.routing import BaseRoute, Match

from services.kernel.http import RouteIndex, create_api

if TYPE_CHECKING:
    from services.main import Product

SOME_ID = "0b8e7f0a-5a3c-4d8e-9c1f-2f6a1d3b4c5e"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def scope_of(method: str, path: str) -> dict[str, Any]:
    return {"type": "http", "method": method, "path": path, "root_path": "", "query_string": b"", "headers": []}


def picked(entries: list[BaseRoute], method: str, path: str) -> tuple[str, int | None]:
    """What FastAPI's router does with the request, by entry: the first full match, else the first partial (405),
    else the first entry matching the path with its slash added or taken away (a redirect), else nothing (404)."""
    for wanted in (Match.FULL, Match.PARTIAL):
        for entry in entries:
            if entry.matches(scope_of(method, path))[0] == wanted:
                return wanted.name, id(entry)
    other = path.rstrip("/") if path.endswith("/") else path + "/"
    for entry in entries:
        if path != "/" and entry.matches(scope_of(method, other))[0] != Match.NONE:
            return "redirect", id(entry)
    return "none", None


def concrete(path: str) -> str:
    """A request path for a route's template: each parameter given a value it accepts."""
    return re.sub(r"\{[^}]+\}", lambda part: "a/b.css" if part.group().endswith(":path}") else SOME_ID, path)


def test_every_path_of_the_product_reaches_the_entry_fastapi_would_pick(product: Product) -> None:
    from services.main import create_api_for

    api = create_api_for(product)
    index = api.router.middleware_stack
    assert isinstance(index, RouteIndex)
    paths = {concrete(context.path) for context in iter_route_contexts(api.routes) if context.path}
    paths |= {"/", "/nowhere", "/console/nowhere", "/pledges/" + SOME_ID + "/nowhere", "/Pledges", "//pledges"}
    assert len(paths) > 150  # the whole product, not a corner of it
    compared = 0
    for path in sorted(paths | {p + "/" for p in paths if p != "/"}):
        for method in METHODS:
            narrowed = index.router_for(scope_of(method, path)).routes
            assert picked(narrowed, method, path) == picked(api.router.routes, method, path), (method, path)
            assert len(narrowed) <= len(api.router.routes)
            compared += 1
    assert compared > 1500


def test_a_request_is_tried_only_against_the_entries_that_may_match_it(product: Product) -> None:
    from services.main import create_api_for

    api = create_api_for(product)
    index = api.router.middleware_stack
    assert isinstance(index, RouteIndex)
    for_pledges = index.router_for(scope_of("POST", "/pledges")).routes
    assert len(for_pledges) < len(api.router.routes) / 4
    assert all(any(context.path and context.path.startswith("/pledges") for context in iter_route_contexts([entry]))
               for entry in for_pledges)


def test_routes_added_after_the_first_request_are_found_and_a_parameter_first_matches_any_segment() -> None:
    first, second = APIRouter(), APIRouter()

    @first.get("/early")
    def early() -> dict[str, str]:
        return {"at": "early"}

    @second.get("/{name}/card")
    def card(name: str) -> dict[str, str]:
        return {"card": name}

    api: FastAPI = create_api("t", [first, second], {}, lambda: [])
    client = TestClient(api)
    assert client.get("/early").json() == {"at": "early"}
    assert client.get("/ada/card").json() == {"card": "ada"}
    assert client.get("/early/card").json() == {"card": "early"}
    assert client.get("/later").status_code == 404

    @api.get("/later")
    def later() -> dict[str, str]:
        return {"at": "later"}

    assert client.get("/later").json() == {"at": "later"}
    assert client.post("/early").status_code == 405
    assert client.get("/early/", follow_redirects=False).status_code == 307
