"""A route's dependencies run in the event loop unless they block. FastAPI sends every plain `def` dependency to
a worker thread, and each such hop costs about a third of a millisecond of CPU on every request that uses it:
the session-token and service lookups every route shares cost a pledge more than its own use case did."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts

from services.main import Product, create_api_for
from services.projections.ledger_api import Context

# Dependencies that block (I/O), so they keep their worker thread, each with the reason.
BLOCKING: dict[Callable[..., Any], str] = {
    Context: "reads the ledger's signing key, which may be a secret file",
}


def dependencies(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from dependencies(sub)


def runs_in_a_thread(call: Callable[..., Any]) -> bool:
    """What FastAPI decides: a coroutine function (or an object whose __call__ is one) stays in the event loop."""
    function = call if inspect.isroutine(call) or inspect.isclass(call) else type(call).__call__
    return not inspect.iscoroutinefunction(function) and not inspect.isasyncgenfunction(function)


def test_only_dependencies_that_block_run_in_a_worker_thread(product: Product) -> None:
    threaded = {
        f"{call.__module__}.{call.__qualname__}": f"{sorted(route.methods or ())} {route.path}"
        for route in iter_route_contexts(create_api_for(product).routes) if hasattr(route, "dependant")
        for call in dependencies(route.dependant) if runs_in_a_thread(call) and call not in BLOCKING
    }
    assert threaded == {}, "make these `async def` (they only look things up), or name them in BLOCKING"


def test_the_check_sees_a_plain_function_as_threaded_and_a_coroutine_function_as_not() -> None:
    def lookup() -> int:
        return 1

    async def awaited() -> int:
        return 1

    class Callable_:
        async def __call__(self) -> int:
            return 1

    assert runs_in_a_thread(lookup) and runs_in_a_thread(Context)
    assert not runs_in_a_thread(awaited) and not runs_in_a_thread(Callable_())
