"""Loads every schema under schemas/ into one registry, keyed by its $id."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
BASE_ID = "https://hourbridge.org/schemas/v1/"

Validate = Callable[[str, Any], None]


def load_schemas() -> dict[str, dict[str, Any]]:
    """Relative path (e.g. 'messages/transfer.prepare.schema.json') -> schema."""
    return {
        path.relative_to(SCHEMAS_DIR).as_posix(): json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(SCHEMAS_DIR.rglob("*.schema.json"))
    }


@pytest.fixture(scope="session")
def schemas() -> dict[str, dict[str, Any]]:
    return load_schemas()


@pytest.fixture(scope="session")
def validate(schemas: dict[str, dict[str, Any]]) -> Validate:
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    validators = {
        name: Draft202012Validator(schema, registry=registry) for name, schema in schemas.items()
    }

    def run(name: str, instance: Any) -> None:
        validators[name].validate(instance)

    return run
