"""Every stored lifecycle, one `StrEnum` each: the states a row's state (or status, or outcome)
column may hold. The values are stored and shown on the API, so they never change; migration 0008
and node/db/schema.py turn each enum into a CHECK constraint on its column, and
tests/node/test_states.py refuses a quoted state literal anywhere else in node/.

They sit in the lowest layer of node/ beside the error tree (docs/decisions.md, "Structure (issue
20)"): the tables (node/db/schema.py) build their CHECK constraints from them, and the exchange
reads them without importing a service. New code names the members (`WindowState.OPEN`); the
older constant names below (`MEMBER_ACTIVE`, `PAYMENT_SENT`, ...) and a few module aliases in the
exchange, payments and time bank code remain until those modules are next changed.
"""

from __future__ import annotations

from enum import StrEnum

from protocol.transfer_machine import SenderState

# transfers.state: the sender's machine (protocol/transfer_machine.py) is the lifecycle; a local
# transfer is stored committed at once.
TransferState = SenderState


class RemoteTransferState(StrEnum):
    """remote_transfers.state: the receiver's final answer to a peer's transfer."""

    COMMITTED = "committed"
    REJECTED = "rejected"
    UNKNOWN_EXPIRED = "unknown_expired"  # arrived after its expiry: neither applied nor refused


class MemberStatus(StrEnum):
    """members.status. The ledger (node/ledger/model.py) refuses to move hours of a member
    relocating or relocated."""

    ACTIVE = "active"
    DEACTIVATED = "deactivated"
    RELOCATING = "relocating"
    RELOCATED = "relocated"


class RelocationState(StrEnum):
    """relocations.state, at the old home node (node/services/relocation.py)."""

    PENDING = "pending"
    COMMITTED = "committed"
    REJECTED = "rejected"


class PaymentRequestState(StrEnum):
    """payment_requests.state: the payee's request, as the payer answered it."""

    SENT = "sent"
    ACKNOWLEDGED = "acknowledged"
    REFUSED = "refused"
    PAID = "paid"
    DECLINED = "declined"


class IncomingPaymentState(StrEnum):
    """payment_requests_in.state: the payer's side."""

    AWAITING = "awaiting"
    APPROVED = "approved"
    DECLINED = "declined"


class WindowState(StrEnum):
    """windows.state: a reconciliation window, closed by one side and matched or disputed."""

    OPEN = "open"
    MATCHED = "matched"  # co-signed
    DISPUTED = "disputed"


class DiscrepancyStatus(StrEnum):
    """discrepancies.status."""

    OPEN = "open"
    CLOSED = "closed"


class DiscrepancyOutcome(StrEnum):
    """discrepancies.outcome."""

    REPAIRED = "repaired"
    CARRIED = "carried"
    DISPUTED = "disputed"


class ServiceRequestState(StrEnum):
    """tb_service_requests.state (node/timebank/requests.py)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    DISPUTED = "disputed"
    PAID = "paid"
    REFUNDED = "refunded"
    CANCELLED = "cancelled"


class DisputeState(StrEnum):
    """tb_disputes.state."""

    OPEN = "open"
    RESOLVED = "resolved"


class CorrectionState(StrEnum):
    """tb_service_adjustments.state: a paid visit's correction (node/timebank/corrections.py)."""

    PENDING = "pending"  # recorded, waiting for a second person
    POSTED = "posted"  # confirmed: its service_adjust entry is in the journal
    WITHDRAWN = "withdrawn"  # its recorder or an admin withdrew it unconfirmed (revision 0021)


class DisputeOutcome(StrEnum):
    """tb_disputes.outcome, set when the dispute is resolved (NULL while open)."""

    RELEASE = "release"
    REFUND = "refund"
    PARTIAL = "partial"


class NotificationKind(StrEnum):
    """notifications.kind: what happened to a member (issue 13). The words a person reads are
    rendered from the kind and the row's payload at read and delivery time
    (node/notify/texts.py), so a stored notification never holds a name or a sentence."""

    REQUEST_TAKEN = "request_taken"  # a volunteer accepted the member's service request
    VOLUNTEER_ARRIVING = "volunteer_arriving"  # the volunteer checked in at the visit
    VISIT_CONFIRMED = "visit_confirmed"  # the person served confirmed: the volunteer is paid
    HOURS_RECEIVED = "hours_received"  # a transfer from another node committed here
    PAYMENT_REQUEST_WAITING = "payment_request_waiting"  # another node asks the member to pay
    COMPLAINT_RESOLVED = "complaint_resolved"  # staff decided a complaint about a visit


class DeliveryChannel(StrEnum):
    """notification_deliveries.channel: where a notification is sent besides the member's page."""

    WEBHOOK = "webhook"  # the city's SMS or WeChat gateway, signed POST
    EMAIL = "email"  # SMTP


class DeliveryState(StrEnum):
    """notification_deliveries.state (node/notify/delivery.py)."""

    PENDING = "pending"  # waiting for its next attempt
    DELIVERED = "delivered"  # the receiver accepted it
    FAILED = "failed"  # every attempt the node allows failed; nobody tries again


# The column each enum constrains: migration 0008 (and each later revision that adds a
# constrained column) copies these values (a revision must keep meaning what it meant) and
# tests/node/test_states.py checks the copies and schema.py agree.
STORED: dict[tuple[str, str], type[StrEnum]] = {
    ("transfers", "state"): TransferState,
    ("remote_transfers", "state"): RemoteTransferState,
    ("members", "status"): MemberStatus,
    ("relocations", "state"): RelocationState,
    ("payment_requests", "state"): PaymentRequestState,
    ("payment_requests_in", "state"): IncomingPaymentState,
    ("windows", "state"): WindowState,
    ("discrepancies", "status"): DiscrepancyStatus,
    ("discrepancies", "outcome"): DiscrepancyOutcome,
    ("tb_service_requests", "state"): ServiceRequestState,
    ("tb_disputes", "state"): DisputeState,
    ("tb_disputes", "outcome"): DisputeOutcome,
    # revision 0010
    ("notifications", "kind"): NotificationKind,
    ("notification_deliveries", "channel"): DeliveryChannel,
    ("notification_deliveries", "state"): DeliveryState,
    # revision 0019, widened by 0021
    ("tb_service_adjustments", "state"): CorrectionState,
}

# The older names, kept as aliases of the members.
MEMBER_ACTIVE = MemberStatus.ACTIVE
MEMBER_DEACTIVATED = MemberStatus.DEACTIVATED
MEMBER_RELOCATING = MemberStatus.RELOCATING
MEMBER_RELOCATED = MemberStatus.RELOCATED
MEMBER_STATUSES = frozenset(MemberStatus)
MEMBER_FLOOR_MINUTES = 0  # overdrafts come with the operating standard's policy, not by default

RELOCATION_PENDING = RelocationState.PENDING
RELOCATION_COMMITTED = RelocationState.COMMITTED
RELOCATION_REJECTED = RelocationState.REJECTED

PAYMENT_SENT = PaymentRequestState.SENT
PAYMENT_ACKNOWLEDGED = PaymentRequestState.ACKNOWLEDGED
PAYMENT_REFUSED = PaymentRequestState.REFUSED
PAYMENT_PAID = PaymentRequestState.PAID
PAYMENT_DECLINED = PaymentRequestState.DECLINED
PAYMENT_AWAITING = IncomingPaymentState.AWAITING
PAYMENT_APPROVED = IncomingPaymentState.APPROVED
# Shown, never stored: an awaiting request past its expiry.
PAYMENT_EXPIRED = "expired"

# members.deactivation_reason of a member whose personal data was erased at her request
# (node/privacy/erasure.py): her record takes no new personal data (`member_erased`).
ERASED_REASON = "erased"
