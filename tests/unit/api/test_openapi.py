"""The committed OpenAPI document is the one the routes generate (python -m enhancer.api.openapi --write)."""

from enhancer.api.openapi import OPENAPI_PATH, render


def test_committed_openapi_matches_the_routes() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render()


def test_validation_errors_are_documented_as_400_error_bodies() -> None:
    import json

    document = json.loads(render())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            assert "422" not in operation["responses"], (method, path)
    assert document["paths"]["/documents"]["post"]["responses"]["400"]["content"]
