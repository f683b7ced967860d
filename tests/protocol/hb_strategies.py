"""Hypothesis strategies for every message type of the standard (valid by construction)."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from protocol.addresses import LOCAL_ID_PATTERN, NODE_ID_PATTERN
from protocol.conformance.fixtures import vector_key
from protocol.credit import CreditClass
from protocol.fields import AMOUNT_MINUTES_LIMIT, ID_PATTERN, INT_MAX
from protocol.merkle import TransferLeaf, transfers_root
from protocol.messages import AnswerMessage, RequestMessage
from protocol.messages.documents import (
    AccountKind,
    CheckpointBody,
    CheckpointMessage,
    StatementBody,
    StatementMessage,
)
from protocol.messages.other import (
    BIRTH_YEAR_MAX,
    BIRTH_YEAR_MIN,
    AckBody,
    AckMessage,
    ClassBalance,
    HistorySummary,
    KinLink,
    KinRelation,
    MessageRejectBody,
    MessageRejectMessage,
    PaymentDeclineBody,
    PaymentDeclineMessage,
    PaymentRequestBody,
    PaymentRequestMessage,
    RelocationBody,
    RelocationMessage,
    RelocationProfile,
    RelocationReceiptBody,
    RelocationReceiptMessage,
    ServiceCategory,
)
from protocol.messages.routed import (
    END_KIND,
    LEGS_MAX,
    DeliveredBody,
    DeliveredMessage,
    EndReceipt,
    ForwardingBody,
    ForwardingMessage,
    LegBody,
    LegMessage,
)
from protocol.messages.transfer import (
    PrepareBody,
    PrepareMessage,
    Purpose,
    ReceiptBody,
    ReceiptMessage,
    RejectBody,
    RejectMessage,
    StatusAnswerBody,
    StatusAnswerMessage,
    StatusBody,
    StatusMessage,
    TransferState,
)
from protocol.reasons import ReasonCode, is_final
from protocol.signing import sign_object
from protocol.version import STANDARD

ids = st.from_regex(ID_PATTERN, fullmatch=True)
node_ids = st.from_regex(NODE_ID_PATTERN, fullmatch=True)
local_ids = st.from_regex(LOCAL_ID_PATTERN, fullmatch=True)
addresses = st.builds(lambda local, node: f"{local}@{node}", local_ids, node_ids)
hashes = st.binary(min_size=32, max_size=32).map(bytes.hex)
times = st.integers(min_value=0, max_value=2**50)
amounts = st.integers(min_value=1, max_value=AMOUNT_MINUTES_LIMIT)
balances = st.integers(min_value=0, max_value=INT_MAX)
# No control characters (the standard forbids them in text), no lone surrogates (not UTF-8).
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=140)
reasons = st.sampled_from(list(ReasonCode))
final_reasons = reasons.filter(is_final)


@st.composite
def lifetimes(draw: st.DrawFn) -> tuple[int, int]:
    created = draw(times)
    return created, created + draw(st.integers(min_value=1, max_value=2**40))


@st.composite
def prepare_bodies(draw: st.DrawFn) -> PrepareBody:
    created, expires = draw(lifetimes())
    purpose = draw(st.sampled_from(list(Purpose)))
    classes = (
        list(CreditClass)
        if purpose is Purpose.DONATION
        else [c for c in CreditClass if c is not CreditClass.GROUP_EARNED]
    )
    request_id = draw(st.none() | ids) if purpose is Purpose.SERVICE_PAYMENT else None
    return PrepareBody(
        transfer_id=draw(ids),
        debtor=draw(addresses),
        creditor=draw(addresses),
        amount_minutes=draw(amounts),
        credit_class=draw(st.sampled_from(classes)),
        purpose=purpose,
        payment_request_id=request_id,
        created_at_ms=created,
        expires_at_ms=expires,
        memo=draw(texts),
    )


def receipt_bodies() -> st.SearchStrategy[ReceiptBody]:
    return st.builds(
        ReceiptBody,
        in_reply_to=ids,
        transfer_id=ids,
        prepare_hash=hashes,
        creditor=addresses,
        amount_minutes=amounts,
        committed_at_ms=times,
    )


@st.composite
def reject_bodies(draw: st.DrawFn, reason: st.SearchStrategy[ReasonCode] = reasons) -> RejectBody:
    code = draw(reason)
    relocated = draw(addresses) if code is ReasonCode.CREDITOR_RELOCATED else None
    return RejectBody(
        in_reply_to=draw(ids),
        transfer_id=draw(ids),
        prepare_hash=draw(hashes),
        reason=code,
        detail=draw(texts),
        relocated_to=relocated,
    )


@st.composite
def status_answer_bodies(draw: st.DrawFn) -> StatusAnswerBody:
    state = draw(st.sampled_from(list(TransferState)))
    return StatusAnswerBody(
        in_reply_to=draw(ids),
        transfer_id=draw(ids),
        state=state,
        as_of_ms=draw(times),
        receipt=draw(receipt_bodies()) if state is TransferState.COMMITTED else None,
        reject=draw(reject_bodies(final_reasons)) if state is TransferState.REJECTED else None,
    )


@st.composite
def relocation_profiles(draw: st.DrawFn, *, created_at_ms: int) -> RelocationProfile:
    kin = sorted(draw(st.sets(addresses, max_size=3)))
    return RelocationProfile(
        display_name=draw(texts.filter(bool)),
        birth_year=draw(st.none() | st.integers(min_value=BIRTH_YEAR_MIN,
                                                max_value=BIRTH_YEAR_MAX)),
        kin=[KinLink(address=a, relation=draw(st.sampled_from(list(KinRelation)))) for a in kin],
        station=draw(st.none() | local_ids),
        consent_at_ms=draw(st.integers(min_value=0, max_value=created_at_ms)),
    )


@st.composite
def relocation_bodies(draw: st.DrawFn) -> RelocationBody:
    created, expires = draw(lifetimes())
    classes = sorted(draw(st.sets(st.sampled_from(list(CreditClass)))))
    first = draw(st.none() | times)
    return RelocationBody(
        relocation_id=draw(ids),
        member=draw(addresses),
        new_local_id=draw(local_ids),
        balances=[ClassBalance(credit_class=c, amount_minutes=draw(balances)) for c in classes],
        history=HistorySummary(
            entries_count=draw(balances),
            earned_minutes_total=draw(balances),
            spent_minutes_total=draw(balances),
            first_entry_at_ms=first,
            last_entry_at_ms=None if first is None else first + draw(times),
            journal_head_hash=draw(hashes),
        ),
        profile=draw(st.none() | relocation_profiles(created_at_ms=created)),
        created_at_ms=created,
        expires_at_ms=expires,
    )


@st.composite
def payment_request_bodies(draw: st.DrawFn) -> PaymentRequestBody:
    created, expires = draw(lifetimes())
    return PaymentRequestBody(
        request_id=draw(ids),
        payee=draw(addresses),
        payer=draw(addresses),
        amount_minutes=draw(amounts),
        category=draw(st.sampled_from(list(ServiceCategory))),
        description=draw(texts),
        created_at_ms=created,
        expires_at_ms=expires,
    )


@st.composite
def statement_documents(draw: st.DrawFn) -> dict[str, Any]:
    issuer, counterparty = draw(st.lists(node_ids, min_size=2, max_size=2, unique=True))
    small = st.integers(min_value=0, max_value=2**40)
    opening, incoming, outgoing = draw(st.integers(-(2**40), 2**40)), draw(small), draw(small)
    leaves = draw(st.lists(st.builds(TransferLeaf, node_ids, ids, amounts, hashes), max_size=5))
    unsigned = {
        "standard": STANDARD,
        "kind": "statement",
        "issuer": issuer,
        "counterparty": counterparty,
        "window_index": draw(st.integers(1, 2**40)),
        "outgoing_sequence_cut": draw(small),
        "incoming_sequence_cut": draw(small),
        "outgoing_head_hash": draw(hashes),
        "incoming_head_hash": draw(hashes),
        "opening_position_minutes": opening,
        "closing_position_minutes": opening + incoming - outgoing,
        "outgoing": {"count": draw(small), "sum_minutes": outgoing},
        "incoming": {"count": draw(small), "sum_minutes": incoming},
        "pending": {"count": draw(small), "sum_minutes": draw(small)},
        "merkle_root": transfers_root(leaves),
        "issued_at_ms": draw(times),
    }
    return sign_object(unsigned, signer=issuer, key=vector_key("sh-pudong"))


@st.composite
def checkpoint_documents(draw: st.DrawFn) -> dict[str, Any]:
    kinds = sorted(AccountKind)
    values = [draw(st.integers(-(2**40), 2**40)) for _ in kinds[1:]]
    totals = [-sum(values), *values]
    node = draw(node_ids)
    unsigned = {
        "standard": STANDARD,
        "kind": "checkpoint",
        "node": node,
        "height": draw(balances),
        "head_hash": draw(hashes),
        "totals": [
            {"account_kind": k.value, "balance_minutes": v}
            for k, v in zip(kinds, totals, strict=True)
        ],
        "issued_at_ms": draw(times),
    }
    return sign_object(unsigned, signer=node, key=vector_key("sh-pudong"))


paths = st.lists(node_ids, min_size=3, max_size=LEGS_MAX + 1, unique=True)


@st.composite
def leg_bodies(draw: st.DrawFn) -> LegBody:
    """A prepare's members on a path from the debtor's node to the creditor's, at any hop."""
    prepare = draw(prepare_bodies())
    path = draw(paths)
    return LegBody(
        **prepare.model_dump(exclude={"debtor", "creditor"}),
        debtor=f"{draw(local_ids)}@{path[0]}",
        creditor=f"{draw(local_ids)}@{path[-1]}",
        path=path,
        hop=draw(st.integers(min_value=0, max_value=len(path) - 2)),
    )


@st.composite
def end_receipts(draw: st.DrawFn) -> EndReceipt:
    leg = draw(leg_bodies())
    unsigned = {
        "standard": STANDARD,
        "kind": END_KIND,
        **leg.model_dump(mode="json", include={"transfer_id", "debtor", "creditor",
                                               "amount_minutes", "credit_class", "purpose",
                                               "payment_request_id", "memo", "path"}),
        "committed_at_ms": draw(times),
    }
    return EndReceipt.model_validate(
        sign_object(unsigned, signer=leg.path[-1], key=vector_key("nj-gulou")))


requests: st.SearchStrategy[RequestMessage] = st.one_of(
    st.builds(PrepareMessage, message_id=ids, body=prepare_bodies()),
    st.builds(
        StatusMessage,
        message_id=ids,
        body=st.builds(StatusBody, transfer_id=ids, prepare_hash=hashes, expires_at_ms=times),
    ),
    st.builds(RelocationMessage, message_id=ids, body=relocation_bodies()),
    st.builds(PaymentRequestMessage, message_id=ids, body=payment_request_bodies()),
    st.builds(
        PaymentDeclineMessage,
        message_id=ids,
        body=st.builds(PaymentDeclineBody, request_id=ids, declined_at_ms=times),
    ),
    st.builds(
        StatementMessage,
        message_id=ids,
        body=statement_documents().map(
            lambda doc: StatementBody.model_validate({"statement": doc})
        ),
    ),
    st.builds(
        CheckpointMessage,
        message_id=ids,
        body=checkpoint_documents().map(
            lambda doc: CheckpointBody.model_validate({"checkpoint": doc})
        ),
    ),
    st.builds(LegMessage, message_id=ids, body=leg_bodies()),
)

answers: st.SearchStrategy[AnswerMessage] = st.one_of(
    st.builds(ReceiptMessage, message_id=ids, body=receipt_bodies()),
    st.builds(RejectMessage, message_id=ids, body=reject_bodies()),
    st.builds(StatusAnswerMessage, message_id=ids, body=status_answer_bodies()),
    st.builds(
        RelocationReceiptMessage,
        message_id=ids,
        body=st.builds(
            RelocationReceiptBody,
            in_reply_to=ids,
            relocation_id=ids,
            prepare_hash=hashes,
            new_address=addresses,
            committed_at_ms=times,
        ),
    ),
    st.builds(AckMessage, message_id=ids, body=st.builds(AckBody, in_reply_to=ids)),
    st.builds(
        MessageRejectMessage,
        message_id=ids,
        body=st.builds(MessageRejectBody, in_reply_to=ids, reason=reasons, detail=texts),
    ),
    st.builds(
        ForwardingMessage,
        message_id=ids,
        body=st.builds(ForwardingBody, in_reply_to=ids, transfer_id=ids, prepare_hash=hashes,
                       next_hop=node_ids, as_of_ms=times),
    ),
    st.builds(
        DeliveredMessage,
        message_id=ids,
        body=st.builds(DeliveredBody, in_reply_to=ids, transfer_id=ids, prepare_hash=hashes,
                       end=end_receipts()),
    ),
)
