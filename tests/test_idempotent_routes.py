"""Every route that changes something takes the request's Idempotency-Key (`Once`) and passes it to its use case,
so a retried request has one effect; the few that store no events are named here with the reason."""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from services.kernel.idempotency import Once
from services.main import Product, create_api_for

READS = {"GET", "HEAD", "OPTIONS"}
TAKES_THE_KEY: Callable[..., Any] = Once.__metadata__[0].dependency

# Routes that store no events: the middleware never recorded their answer, and still does not.
SAVES_NOTHING = {
    ("POST", "/ledger/verify"): "compares a published head with a replay of the ledger; changes nothing",
    ("POST", "/auth/sign-in"): "opens a session in the identity store, not in an event store",
    ("POST", "/auth/sign-out"): "ends a session in the identity store, not in an event store",
    ("POST", "/auth/accounts"): "writes the identity store (accounts are rows, not events)",
    ("POST", "/auth/accounts/{account_id}/role"): "writes the identity store (accounts are rows, not events)",
    ("POST", "/auth/accounts/{account_id}/disable"): "writes the identity store (accounts are rows, not events)",
    ("POST", "/auth/api-keys"): "writes the identity store (API keys are rows, not events)",
    ("POST", "/auth/api-keys/{key_id}/revoke"): "writes the identity store (API keys are rows, not events)",
    ("POST", "/privacy/persons/{person_id}/consents"): "writes the vault's own store (consents are rows, not events)",
    ("POST", "/privacy/persons/{person_id}/erase"): "shreds the person's key in the vault's store; no event store",
    ("POST", "/auth/invitations/{token}"): "creates the account in the identity store (rows, not events)",
}
# Routes whose caller is no account with an Idempotency-Key but a telephony provider or proxy: each names its
# own key (provider and call id, leg, status and sequence), and the use case makes a retry change nothing.
KEYED_BY_THE_CALLER = {
    ("POST", "/telephony/sip/inbound"): "the same routing answer for the same (call id, leg it follows)",
    ("POST", "/telephony/sip/legs"): "a leg fact counts once per (call id, leg, status, sequence)",
    ("POST", "/telephony/sip/outbound"): "the dial answer first given for this call id is given again",
}


def exempt() -> dict[tuple[str, str], str]:
    """Every named exception (the table above grows further down this file)."""
    return SAVES_NOTHING | KEYED_BY_THE_CALLER


def mutating_routes(product: Product) -> Iterator[tuple[tuple[str, str], Any]]:
    """((method, path), route) for every route of the assembled product that is not a read."""
    for route in iter_route_contexts(create_api_for(product).routes):
        for method in sorted((route.methods or set()) - READS):
            yield (method, route.path), route


def dependencies_of(dependant: Dependant) -> set[Callable[..., Any] | None]:
    return {d.call for d in dependant.dependencies} | {c for d in dependant.dependencies for c in dependencies_of(d)}


def takes_the_key(route: Any) -> bool:
    return TAKES_THE_KEY in dependencies_of(route.dependant)


def test_every_route_that_changes_something_takes_the_idempotency_key(product: Product) -> None:
    missing = [key for key, route in mutating_routes(product)
               if not takes_the_key(route) and key not in exempt()]
    assert missing == [], "declare `once: Once` and pass it to the use case (services/kernel/idempotency.py)"


def test_the_exceptions_name_routes_that_exist_and_do_not_take_the_key(product: Product) -> None:
    routes = dict(mutating_routes(product))
    stale = [key for key in exempt() if key not in routes or takes_the_key(routes[key])]
    assert stale == [], "these routes were converted or are gone: take them off the list"


def test_every_route_that_takes_the_key_passes_it_to_its_use_case(product: Product) -> None:
    """The route's body passes `once=once` on (taking it and dropping it would lose the guarantee silently)."""
    dropped = [key for key, route in mutating_routes(product)
               if takes_the_key(route) and not _passes_once(route.endpoint)]
    assert dropped == []


def test_every_use_case_given_the_key_passes_it_on() -> None:
    """Down to `save`: a function of a service that takes `once` passes `once=once` to what it calls."""
    services = Path(__file__).resolve().parent.parent / "services"
    dropped = [f"{path.relative_to(services)}: {function.name}"
               for path in sorted(services.rglob("*.py")) if "kernel" not in path.relative_to(services).parts
               for function in ast.walk(ast.parse(path.read_text()))
               if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) and "once" in _parameters(function)
               and not _passes_once(function)]
    assert dropped == []


def _passes_once(code: Callable[..., Any] | ast.AST) -> bool:
    tree = code if isinstance(code, ast.AST) else ast.parse(textwrap.dedent(inspect.getsource(code)))
    return any(isinstance(node, ast.keyword) and node.arg == "once" and isinstance(node.value, ast.Name)
               and node.value.id == "once" for node in ast.walk(tree))


def _parameters(function: ast.FunctionDef | ast.AsyncFunctionDef) -> set[str]:
    return {a.arg for a in (*function.args.posonlyargs, *function.args.args, *function.args.kwonlyargs)}

# directory: the import's preview reads the file and the directory, and stores nothing
SAVES_NOTHING[("POST", "/directory/imports/preview")] = "reports what an import would do; stores nothing"
# access
SAVES_NOTHING[("POST", "/volunteers/{volunteer_id}/invitation")] = (
    "writes the identity store (an invitation is a row); a retry issues one more link and the last one counts, so no "
    "answer carrying a one-time token is kept in an event store")
# (end of access)
# privacy
SAVES_NOTHING[("POST", "/privacy/persons/{person_id}/consents/{consent_id}/withdraw")] = (
    "writes the vault's own store (a withdrawal is a row beside the consent, not an event)")
# (end of privacy)
# gifts: the gift import's preview judges the file against the store and stores nothing
SAVES_NOTHING[("POST", "/donations/import/preview")] = "reports what a gift import would do; stores nothing"
# (end of gifts)
# admin: the accounts desk writes rows of the identity store, and a new link's answer must never be kept
SAVES_NOTHING[("POST", "/auth/accounts/{account_id}/enable")] = (
    "writes the identity store (accounts are rows, not events)")
SAVES_NOTHING[("POST", "/auth/accounts/{account_id}/invitation")] = (
    "writes the identity store (an invitation is a row); a retry issues one more link and the last one counts, so no "
    "answer carrying a one-time token is kept in an event store")
# (end of admin)
# twiml: the TwiML provider's webhooks carry no Idempotency-Key (no account calls them); each names its own key
KEYED_BY_THE_CALLER.update({
    ("POST", "/telephony/twiml/voice"): "the same routing answer for the same (CallSid, leg it follows)",
    ("POST", "/telephony/twiml/dial-action"): "a leg fact counts once per (CallSid, leg, status, sequence); the "
                                              "routing answer after a leg is the one first given",
    ("POST", "/telephony/twiml/status"): "a leg fact counts once per (CallSid, leg, status, sequence)",
    ("POST", "/telephony/twiml/confirm"): "the press of 1 is a leg fact, counted once per (CallSid, leg, status)",
    ("POST", "/telephony/twiml/bridge"): "the dial answer first given for this CallSid is given again",
})
SAVES_NOTHING[("POST", "/telephony/twiml/recorded")] = "thanks the caller and hangs up; stores nothing"
# (end of twiml)

# mail
KEYED_BY_THE_CALLER.update({
    ("POST", "/mail/unsubscribe/{token}"): "an unsubscribe is recorded once per person; a second POST changes nothing",
})
# e-mail pages: a draft's preview renders it and stores no event (the vault's read is in the access trail)
SAVES_NOTHING[("POST", "/mail/templates/{template_id}/preview")] = (
    "renders a draft with a person's data or sample data; publishes nothing, stores no event")
# (end of e-mail pages)
