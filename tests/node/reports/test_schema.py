"""Reports validate against schemas/report.schema.json, the schema refuses a report that lacks a
member or carries an unknown one, and the code closes the same member sets."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from node.reports.members import FEDERATION_REPORT, NODE_REPORT, Maybe
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
                   {k: v for k, v in document.items() if k != "settlement"},
                   {**document, "comment": "added"},
                   {**document, "kind": "report.city"}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate(broken)


def _shape(node: dict[str, Any], defs: dict[str, Any]) -> Any:
    """The member sets a schema node closes, in node/reports/members.py's notation."""
    ref = node.get("$ref", "")
    if ref.startswith("#/$defs/"):  # a JSON pointer into this schema's $defs
        target = defs
        for part in ref.removeprefix("#/$defs/").split("/"):
            target = target[part]
        return _shape(target, defs)
    alternatives = node.get("oneOf", [])
    if alternatives:
        kept = [a for a in alternatives if a.get("type") != "null"]
        assert len(kept) == 1, node
        inner = _shape(kept[0], defs)
        return None if inner is None or len(kept) == len(alternatives) else Maybe(inner)
    if node.get("type") == "array":
        items = _shape(node["items"], defs)
        return None if items is None else [items]
    if node.get("type") == "object" and node.get("additionalProperties") is False:
        # Members required only together (`dependentRequired`: a report made before hubs
        # has neither) are members all the same; the code holds a report to both or neither.
        together = set(node.get("dependentRequired", {}))
        assert sorted({*node["required"], *together}) == sorted(node["properties"]), node
        return {name: _shape(value, defs) for name, value in node["properties"].items()}
    return None  # a value, a signed document of another schema, or a map keyed by data


@pytest.mark.parametrize(("name", "shape"), [("node_report", NODE_REPORT),
                                             ("federation_report", FEDERATION_REPORT)])
def test_the_code_closes_exactly_the_member_sets_the_schema_closes(name: str,
                                                                   shape: Any) -> None:
    defs = load_schemas()["report.schema.json"]["$defs"]
    in_schema = _shape(defs[name], defs)
    if name == "federation_report":
        # The code checks embedded node reports with every other check of a node report.
        in_schema["node_reports"] = [{"node": None, "report": None}]
    assert in_schema == shape
