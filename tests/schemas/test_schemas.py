"""The schemas agree with the code: everything the code produces validates, and the schemas
refuse what the standard refuses."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, directory_document, vector_key
from protocol.conformance.routed_samples import first_leg, routed_requests, sample_end
from protocol.conformance.samples import sample_answer, sample_requests
from protocol.credit import CreditClass
from protocol.directory import NodeStatus
from protocol.fields import GENESIS_HASH
from protocol.messages import ANSWERS_FOR, AnswerMessage, RequestMessage, encode_message
from protocol.messages.documents import AccountKind
from protocol.messages.other import ServiceCategory
from protocol.policy import POLICY_BOUNDS
from protocol.reasons import ReasonCode
from protocol.transaction import build_response, build_transaction
from tests.protocol.hb_strategies import answers, requests
from tests.schemas.conftest import BASE_ID, Validate

SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _schema_of(message: RequestMessage | AnswerMessage) -> str:
    return f"messages/{message.type}.schema.json"


def test_every_schema_is_a_valid_2020_12_schema(schemas: dict[str, Any]) -> None:
    for name, schema in schemas.items():
        Draft202012Validator.check_schema(schema)
        assert schema["$id"] == BASE_ID + name


def test_there_is_a_schema_for_every_message_type(schemas: dict[str, Any]) -> None:
    types = set(ANSWERS_FOR) | set().union(*ANSWERS_FOR.values())
    assert {f"messages/{t}.schema.json" for t in types} == {
        name for name in schemas if name.startswith("messages/")
    }


def _answer_kinds(request: RequestMessage) -> list[str]:
    """Every answer the request may get; the last leg of a route is never forwarded."""
    last = getattr(request.body, "last", False)
    return sorted(kind for kind in ANSWERS_FOR[request.type]
                  if not (last and kind == "transfer.forwarding"))


def test_samples_and_their_transactions_validate(validate: Validate) -> None:
    for request in [*sample_requests(), *routed_requests()]:
        validate(_schema_of(request), encode_message(request))
        transaction = build_transaction(
            transaction_id="tx-schema-01",
            sender=SENDER,
            receiver=RECEIVER,
            sequence=1,
            prev_hash=GENESIS_HASH,
            created_at_ms=T0_MS,
            messages=[request],
            key=vector_key(SENDER),
        )
        validate("transaction.schema.json", transaction.to_json())
        for kind in _answer_kinds(request):
            answer = sample_answer(request, kind=kind)
            validate(_schema_of(answer), encode_message(answer))
            response = build_response(
                request=transaction,
                created_at_ms=T0_MS,
                answers=[answer],
                reason=None,
                key=vector_key(RECEIVER),
            )
            validate("response.schema.json", response.to_json())
        refusal = build_response(
            request=transaction,
            created_at_ms=T0_MS,
            answers=[],
            reason=ReasonCode.SEQUENCE_GAP,
            key=vector_key(RECEIVER),
        )
        validate("response.schema.json", refusal.to_json())


def test_directory_statement_and_checkpoint_validate(validate: Validate) -> None:
    validate("directory.schema.json", directory_document())
    statement, checkpoint = (m.model_dump(mode="json") for m in sample_requests()[5:7])
    validate("statement.schema.json", statement["body"]["statement"])
    validate("checkpoint.schema.json", checkpoint["body"]["checkpoint"])


def test_the_end_receipt_validates_and_a_bad_route_does_not(validate: Validate) -> None:
    validate("transfer_end.schema.json", sample_end().model_dump(mode="json"))
    leg = encode_message(first_leg())
    validate("messages/transfer.leg.schema.json", leg)
    path = leg["body"]["path"]
    repeated, short, long = [*path[:2], path[0], path[2]], path[:2], [*path, "bj-xicheng", "x-y"]
    for bad_path in (repeated, short, long):
        with pytest.raises(jsonschema.ValidationError):
            validate("messages/transfer.leg.schema.json", _with(leg, path=bad_path))
    for bad_hop in (-1, 3, "0"):
        with pytest.raises(jsonschema.ValidationError):
            validate("messages/transfer.leg.schema.json", _with(leg, hop=bad_hop))


def _with(message: dict[str, Any], **body: Any) -> dict[str, Any]:
    return {**message, "body": {**message["body"], **body}}


@SETTINGS
@given(message=st.one_of(requests, answers))
def test_every_generated_message_validates(message: Any, validate: Validate) -> None:
    validate(_schema_of(message), encode_message(message))


@SETTINGS
@given(batch=st.lists(requests, min_size=1, max_size=3, unique_by=lambda m: m.message_id))
def test_every_generated_transaction_validates(batch: list[Any], validate: Validate) -> None:
    transaction = build_transaction(
        transaction_id="tx-schema-02",
        sender=SENDER,
        receiver=RECEIVER,
        sequence=9,
        prev_hash=GENESIS_HASH,
        created_at_ms=T0_MS,
        messages=batch,
        key=vector_key(SENDER),
    )
    validate("transaction.schema.json", transaction.to_json())


def _prepare() -> dict[str, Any]:
    return encode_message(sample_requests()[0])


def _edited(path: list[str | int], value: Any, *, delete: bool = False) -> dict[str, Any]:
    document = copy.deepcopy(_prepare())
    target = document
    for step in path[:-1]:
        target = target[step]
    if delete:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return document


@pytest.mark.parametrize(
    ("path", "value"),
    [
        # JSON Schema counts 120.0 as an integer; the wire parser refuses it (float_amount
        # vector). The schema can only refuse a fraction.
        (["body", "amount_minutes"], 120.5),
        (["body", "amount_minutes"], 0),
        (["body", "amount_minutes"], True),
        (["body", "amount_minutes"], 600_001),
        (["body", "debtor"], "li.wei"),
        (["body", "memo"], "line\nbreak"),
        (["body", "credit_class"], "cash"),
        (["body", "extra"], 1),
        (["message_id"], "short"),
        (["type"], "transfer.cancel"),
    ],
)
def test_schema_refuses_a_bad_prepare(path: list[Any], value: Any, validate: Validate) -> None:
    validate("messages/transfer.prepare.schema.json", _prepare())
    with pytest.raises(jsonschema.ValidationError):
        validate("messages/transfer.prepare.schema.json", _edited(path, value))


def test_schema_refuses_a_missing_member(validate: Validate) -> None:
    with pytest.raises(jsonschema.ValidationError):
        validate(
            "messages/transfer.prepare.schema.json",
            _edited(["body", "payment_request_id"], None, delete=True),
        )


def test_schema_ties_relocated_to_to_its_reason(validate: Validate) -> None:
    reject = encode_message(sample_answer(sample_requests()[0], kind="transfer.reject"))
    validate("messages/transfer.reject.schema.json", reject)
    reject["body"]["reason"] = "creditor_unknown"
    with pytest.raises(jsonschema.ValidationError):
        validate("messages/transfer.reject.schema.json", reject)


def test_schema_ties_status_state_to_receipt(validate: Validate) -> None:
    answer = encode_message(sample_answer(sample_requests()[1], kind="transfer.status_answer"))
    validate("messages/transfer.status_answer.schema.json", answer)
    answer["body"]["state"] = "committed"
    with pytest.raises(jsonschema.ValidationError):
        validate("messages/transfer.status_answer.schema.json", answer)


def test_schema_refuses_a_refusal_with_answers(validate: Validate) -> None:
    transaction = build_transaction(
        transaction_id="tx-schema-03",
        sender=SENDER,
        receiver=RECEIVER,
        sequence=1,
        prev_hash=GENESIS_HASH,
        created_at_ms=T0_MS,
        messages=sample_requests()[:1],
        key=vector_key(SENDER),
    )
    response = build_response(
        request=transaction,
        created_at_ms=T0_MS,
        reason=None,
        key=vector_key(RECEIVER),
        answers=[sample_answer(sample_requests()[0], kind="transfer.receipt")],
    ).to_json()
    response["outcome"], response["reason"] = "refused", "rate_limited"
    with pytest.raises(jsonschema.ValidationError):
        validate("response.schema.json", response)


def test_schema_enums_match_the_code(schemas: dict[str, Any]) -> None:
    defs = schemas["common.schema.json"]["$defs"]
    assert defs["reason_code"]["enum"] == [code.value for code in ReasonCode]
    assert defs["credit_class"]["enum"] == [c.value for c in CreditClass]
    node = schemas["directory.schema.json"]["$defs"]["node"]
    assert node["properties"]["status"]["enum"] == [s.value for s in NodeStatus]
    totals = schemas["checkpoint.schema.json"]["properties"]["totals"]["items"]
    assert totals["properties"]["account_kind"]["enum"] == [k.value for k in AccountKind]
    category = schemas["messages/payment.request.schema.json"]["properties"]["body"]
    assert category["properties"]["category"]["enum"] == [c.value for c in ServiceCategory]


def test_schema_policy_bounds_match_the_code(schemas: dict[str, Any]) -> None:
    policy = schemas["directory.schema.json"]["$defs"]["policy"]["properties"]
    assert {name: (p["minimum"], p["maximum"]) for name, p in policy.items()} == POLICY_BOUNDS
