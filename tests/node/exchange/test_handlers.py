"""Every request type of the standard has exactly one handler, checked when the node opens
(issue 20): a missing handler stops start-up naming the type, a second registration is a wiring
bug, and the types v1 reserves (statement, checkpoint) get an explicit handler giving a final
refusal (standard §8.2, issue 16)."""

from __future__ import annotations

import pytest

from node.clock import FakeClock
from node.errors import InvariantViolation
from node.exchange.answers import AnswerHandlers
from node.exchange.payments import PaymentHandlers
from node.exchange.requests import RESERVED_TYPES, RequestHandlers, reserved
from node.ledger.journal import Ledger
from node.runtime import Node, open_node
from protocol.conformance.samples import sample_requests
from protocol.messages import REQUEST_TYPES
from protocol.messages.other import MessageRejectMessage
from protocol.reasons import ReasonCode
from tests.support import node_key


def test_the_full_node_has_one_handler_per_request_type(sqlite_node: Node) -> None:
    handlers = sqlite_node.exchange.requests.handlers
    assert set(handlers) == REQUEST_TYPES
    assert {"statement", "checkpoint"} == RESERVED_TYPES
    assert all(handlers[t] is reserved for t in RESERVED_TYPES)
    sqlite_node.exchange.requests.require_complete()


def test_a_registry_missing_handlers_fails_naming_them() -> None:
    handlers = RequestHandlers(node_id="sh-pudong", ledger=Ledger("sh-pudong"))
    with pytest.raises(InvariantViolation, match=r"payment\.decline, payment\.request, "
                                                  r"relocation\.prepare"):
        handlers.require_complete()


def test_open_node_fails_at_start_up_without_a_handler(
    sqlite_node: Node, clock: FakeClock, monkeypatch: pytest.MonkeyPatch,
) -> None:
    def install_half(self: PaymentHandlers, exchange: object) -> None:
        exchange.requests.register("payment.request", self.on_request)  # type: ignore[attr-defined]

    monkeypatch.setattr(PaymentHandlers, "install", install_half)
    config = sqlite_node.config
    with pytest.raises(InvariantViolation, match=r"no handler for request type\(s\) "
                                                  r"payment\.decline$"):
        open_node(config, clock=clock, key=node_key(config.node_id))


def test_registering_a_handler_twice_is_an_error() -> None:
    requests = RequestHandlers(node_id="sh-pudong", ledger=Ledger("sh-pudong"))
    with pytest.raises(InvariantViolation, match=r"transfer\.prepare is registered already"):
        requests.register("transfer.prepare", reserved)
    with pytest.raises(InvariantViolation, match="not a request type of the standard"):
        requests.register("transfer.cancel", reserved)
    answers = AnswerHandlers(ledger=Ledger("sh-pudong"))
    with pytest.raises(InvariantViolation, match=r"transfer\.status is registered already"):
        answers.register("transfer.status", lambda *_: None)  # type: ignore[arg-type]


@pytest.mark.parametrize("message_type", sorted(RESERVED_TYPES))
def test_statements_and_checkpoints_get_a_final_refusal(message_type: str) -> None:
    # Temporary (receiver_unavailable) would make a conforming sender retry forever.
    request = next(m for m in sample_requests() if m.type == message_type)
    answer = reserved(None, None, request)  # type: ignore[arg-type]
    assert answer.final
    assert isinstance(answer.message, MessageRejectMessage)
    assert answer.message.body.reason is ReasonCode.UNSUPPORTED_MESSAGE_TYPE
    assert answer.message.body.detail.startswith(f"{message_type} is reserved in hourbridge/1")
