"""Reports validate against schemas/report.schema.json, and the schema refuses a report that
lacks a member or carries an unknown one."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.node.reports.conftest import Reports
from tests.schemas.conftest import BASE_ID, load_schemas


@pytest.fixture(scope="module")
def validator() -> Draft202012Validator:
    schemas = load_schemas()
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values())
    schema = schemas["report.schema.json"]
    assert schema["$id"] == BASE_ID + "report.schema.json"
    return Draft202012Validator(schema, registry=registry)


def test_node_and_federation_reports_validate(reports: Reports,
                                              validator: Draft202012Validator) -> None:
    for folder in (reports.node_dir, reports.federation_dir):
        validator.validate(json.loads((folder / "report.json").read_bytes()))


def test_the_schema_refuses_a_missing_or_unknown_member(reports: Reports,
                                                        validator: Draft202012Validator) -> None:
    document = json.loads((reports.federation_dir / "report.json").read_bytes())
    for broken in ({k: v for k, v in document.items() if k != "nets"},
                   {**document, "comment": "added"},
                   {**document, "kind": "report.city"}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)
