"""Architecture: every command body on the product refuses unknown fields (extra="forbid")."""

from __future__ import annotations

from typing import Any

from services.main import Product, create_api_for


def test_every_json_request_body_forbids_unknown_fields(product: Product) -> None:
    document = create_api_for(product).openapi()
    schemas: dict[str, Any] = document["components"]["schemas"]
    lenient = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema")
            if schema is None:
                continue  # no body, or an upload (multipart form fields are declared one by one)
            for name in _models(schema, schemas):
                if schemas[name].get("additionalProperties") is not False:
                    lenient.append(f"{method.upper()} {path}: {name}")
    assert lenient == [], "add model_config = ConfigDict(extra='forbid') to these request models"


def _models(schema: dict[str, Any], schemas: dict[str, Any], seen: set[str] | None = None) -> set[str]:
    """The named object models a body schema uses, nested ones included."""
    seen = set() if seen is None else seen
    ref = schema.get("$ref")
    if ref:
        name = ref.rsplit("/", 1)[-1]
        if name not in seen and schemas[name].get("type") == "object":
            seen.add(name)
            _models(schemas[name], schemas, seen)
        return seen
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for part in schema.get(key, []):
            _models(part, schemas, seen)
    for key in ("items", "additionalProperties"):
        if isinstance(schema.get(key), dict):
            _models(schema[key], schemas, seen)
    for part in schema.get("properties", {}).values():
        _models(part, schemas, seen)
    return seen
