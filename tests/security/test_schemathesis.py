"""Property-based fuzzing of the whole HTTP API from its OpenAPI document: no 5xx, answers match the schema.

75 examples per operation (~170 operations, ~13,000 requests) in the suite: on a loaded 2-core box 150 took
two and a half times as long (300 took 11 minutes) and, with the e-mail tests, pushed `make test` past its time
budget. Split into shards so each test stays inside pytest's per-test timeout. ANGELI_FUZZ_EXAMPLES changes the
count for a quick or a deeper local run (300 before a release).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from services.identity.application import Identity
from services.identity.domain import SYSTEM
from services.kernel.clock import FixedClock
from services.kernel.settings import Settings
from services.main import Product, build, create_api_for
from tests.security.conftest import FAST_HASHER

MAX_EXAMPLES = int(os.environ.get("ANGELI_FUZZ_EXAMPLES", "75"))  # per operation
SHARDS = 10
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance, status_code_conformance]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Product]:
    clock = FixedClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    product = build(Settings(data_dir=Path(tmp_path_factory.mktemp("fuzz")) / "var"), clock)
    # Every sign-in example verifies a password: with production argon2 costs it was the slowest operation
    # by far (~140 ms per example, 15% of the run). The edge's behaviour does not depend on the hash cost.
    product.identity = Identity(product.identity.store, clock, hasher=FAST_HASHER)  # type: ignore[union-attr]
    yield product
    product.stop()


@asynccontextmanager
async def _no_background(_api: FastAPI) -> AsyncIterator[None]:
    yield  # the product's feeds and jobs are not needed to fuzz the edge


def edge_of(product: Product) -> FastAPI:
    app = create_api_for(product)
    app.router.lifespan_context = _no_background
    return app


@pytest.mark.parametrize("shard", range(SHARDS), ids=lambda shard: f"shard {shard + 1} of {SHARDS}")
def test_no_operation_answers_5xx_or_breaks_its_schema(fuzzed: Product, shard: int) -> None:
    app = edge_of(fuzzed)
    key = fuzzed.identity.create_key("schemathesis", "administrator", SYSTEM)[1]  # type: ignore[union-attr]
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures: list[str] = []
    for result in list(schema.get_all_operations())[shard::SHARDS]:
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def fuzz(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"X-API-Key": key}, checks=CHECKS)

        try:
            fuzz()
        except Exception as error:  # collect every operation's failure, then report them together
            failures.append(f"{operation.method.upper()} {operation.path}: {str(error)[:600]}")
    assert failures == [], "\n\n".join(failures)


def test_the_fuzzer_reaches_every_operation(fuzzed: Product) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", edge_of(fuzzed))
    assert len([r.ok() for r in schema.get_all_operations()]) >= 50
