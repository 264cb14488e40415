"""The server's lifespan starts the product: every middleware lets the lifespan messages through."""

from __future__ import annotations

from fastapi.testclient import TestClient

from services.main import Product, create_api_for


def test_starting_the_app_starts_the_feeds_and_jobs_and_stopping_it_stops_them(product: Product) -> None:
    assert product.runtime.follower is None and product.runtime.scheduler is None
    with TestClient(create_api_for(product)) as client:  # runs lifespan startup, then shutdown at the end
        assert product.runtime.follower is not None and product.runtime.scheduler is not None
        assert client.get("/health").status_code == 200
        assert client.post("/auth/sign-in", json={"email": "nobody@example.org", "password": "x" * 12},
                           headers={"Idempotency-Key": "a-retry-safe-key"}).status_code == 401
    assert product.runtime.stopped
