"""Table definitions (SQLAlchemy Core). Migrations in node/migrations create exactly these;
tests/node/db/test_migrations.py fails if the two drift apart."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from node.states import (
    CorrectionState,
    DeliveryChannel,
    DeliveryState,
    DiscrepancyOutcome,
    DiscrepancyStatus,
    DisputeOutcome,
    DisputeState,
    IncomingPaymentState,
    MemberStatus,
    NotificationKind,
    PaymentRequestState,
    RelocationState,
    RemoteTransferState,
    ServiceRequestState,
    TransferState,
    WindowState,
)

metadata = MetaData()

HASH = String(64)
ID = String(64)
ADDRESS = String(100)


def one_of(name: str, column: str, states: type[StrEnum]) -> CheckConstraint:
    """The column holds one of the enum's values: each stored lifecycle of node/states.py is a
    CHECK constraint (migration 0008), so a misspelt state is refused by the database itself."""
    values = ", ".join(f"'{state.value}'" for state in states)
    return CheckConstraint(f"{column} IN ({values})", name=name)


node_info = Table(
    "node_info",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

members = Table(
    "members",
    metadata,
    Column("local_id", ID, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("station", ID, nullable=True, index=True),
    Column("birth_year", Integer, nullable=True),
    Column("status", String(16), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("deactivated_at_ms", BigInteger, nullable=True),
    Column("deactivation_reason", String(500), nullable=True),
    Column("relocated_to", ADDRESS, nullable=True),  # the new address after a relocation
    one_of("ck_members_status", "status", MemberStatus),
)

accounts = Table(
    "accounts",
    metadata,
    Column("code", ADDRESS, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=True, unique=True),
    Column("peer_node_id", String(32), nullable=True, unique=True),
    # NULL: no floor (system accounts may go negative; issuance is the node's liability).
    Column("floor_minutes", BigInteger, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
)

balances = Table(
    "balances",
    metadata,
    Column("account_code", ADDRESS, ForeignKey("accounts.code"), primary_key=True),
    Column("credit_class", String(16), primary_key=True),
    Column("balance_minutes", BigInteger, nullable=False),
)

ledger_head = Table(
    "ledger_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("height", BigInteger, nullable=False),
    Column("head_hash", HASH, nullable=False),
)

# The kinds of entries that move a clearing account (node/ledger/model.py EntryKind; the
# reconciliation's `_SETTLING_KINDS` is checked against it). Literal, as OPEN_TRANSFER below.
SETTLING_ENTRY = text("journal_entries.kind IN ('transfer_settle', 'transfer_in', "
                      "'relocation_out', 'relocation_in')")

journal_entries = Table(
    "journal_entries",
    metadata,
    Column("height", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_id", ID, nullable=False, unique=True),
    Column("kind", String(24), nullable=False),
    Column("ref", ID, nullable=True),
    Column("actor", ADDRESS, nullable=False),
    Column("memo", String(500), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("reverses_height", BigInteger, nullable=True),
    Column("prev_hash", HASH, nullable=False),
    Column("entry_hash", HASH, nullable=False),
    # An entry is reversed at most once. Partial: the index holds only the rare reversals, so
    # ordinary entries pay nothing for it.
    Index(
        "ux_journal_entries_reverses",
        "reverses_height",
        unique=True,
        sqlite_where=text("reverses_height IS NOT NULL"),
        postgresql_where=text("reverses_height IS NOT NULL"),
    ),
    # A transfer's other clearing entries, for the check of entries counted twice
    # (node/reconcile/records.py). Partial: only the entries that move a clearing account.
    Index(
        "ix_journal_entries_settling_ref",
        "ref",
        sqlite_where=SETTLING_ENTRY,
        postgresql_where=SETTLING_ENTRY,
    ),
)

postings = Table(
    "postings",
    metadata,
    Column(
        "entry_height",
        BigInteger,
        ForeignKey("journal_entries.height"),
        primary_key=True,
        autoincrement=False,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("account_code", ADDRESS, ForeignKey("accounts.code"), nullable=False),
    Column("credit_class", String(16), nullable=False),
    Column("amount_minutes", BigInteger, nullable=False),
    Index("ix_postings_account_height", "account_code", "entry_height"),
)

checkpoints = Table(
    "checkpoints",
    metadata,
    Column("height", BigInteger, primary_key=True, autoincrement=False),
    Column("head_hash", HASH, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
)

# Transfers that still hold a reservation. Written out literally (not as bound parameters) so the
# query planner can see that a query filtering on it may use the partial index below.
OPEN_TRANSFER = text(f"transfers.state IN ('{TransferState.PENDING.value}', "
                     f"'{TransferState.IN_DOUBT.value}')")

transfers = Table(
    "transfers",
    metadata,
    Column("id", ID, primary_key=True),
    Column("debtor", ADDRESS, nullable=False),
    Column("creditor", ADDRESS, nullable=False),
    Column("amount_minutes", BigInteger, nullable=False),
    Column("memo", String(500), nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason_code", String(48), nullable=True),
    Column("request_hash", HASH, nullable=False),
    Column("entry_height", BigInteger, ForeignKey("journal_entries.height"), nullable=True),
    Column("actor", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    # Cross-node transfers only (docs/federation.md): the peer, the standard's ids and the
    # prepare's hash, the entry that settled it, and the transactions holding the evidence.
    Column("peer_node_id", String(32), nullable=True),
    Column("wire_id", ID, nullable=True, unique=True),
    Column("message_id", ID, nullable=True),
    Column("prepare_hash", HASH, nullable=True),
    Column("credit_class", String(16), nullable=True),
    Column("purpose", String(24), nullable=True),
    Column("payment_request_id", ID, nullable=True),
    Column("expires_at_ms", BigInteger, nullable=True),
    Column("settled_entry_height", BigInteger, nullable=True),
    Column("answer_transaction_id", ID, nullable=True),
    Column("relocated_to", ADDRESS, nullable=True),
    Column("final_answer", Text, nullable=True),  # the receipt or reject that settled it
    Column("dispute", String(500), nullable=True),
    # A routed transfer's legs (standard §22.4): the path as a JSON list of node ids, and on a
    # hub's leg the node the previous leg came from (null on the debtor's node).
    Column("route", Text, nullable=True),
    Column("forwarded_from", String(32), nullable=True),
    # A member's "pending out" sum. Partial: only open transfers are indexed, so the committed
    # history (nearly every row) costs the index nothing.
    Index(
        "ix_transfers_open_by_debtor",
        "debtor",
        sqlite_where=OPEN_TRANSFER,
        postgresql_where=OPEN_TRANSFER,
    ),
    # The exchange's expiry tick, every second: open cross-node transfers past their expiry.
    Index(
        "ix_transfers_open_by_expiry",
        "expires_at_ms",
        sqlite_where=OPEN_TRANSFER,
        postgresql_where=OPEN_TRANSFER,
    ),
    # A settlement window's outgoing transfers, by the chain transaction that carried their
    # receipt. Partial: local transfers (no such transaction) cost the index nothing.
    Index(
        "ix_transfers_answer_transaction",
        "answer_transaction_id",
        sqlite_where=text("answer_transaction_id IS NOT NULL"),
        postgresql_where=text("answer_transaction_id IS NOT NULL"),
    ),
    one_of("ck_transfers_state", "state", TransferState),
)

grants = Table(
    "grants",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("amount_minutes", BigInteger, nullable=False),
    Column("credit_class", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("entry_height", BigInteger, ForeignKey("journal_entries.height"), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(16), primary_key=True),
    Column("secret_hash", HASH, nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("member_local_id", ID, nullable=True),
    Column("station", ID, nullable=True),
    Column("label", String(200), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("revoked_at_ms", BigInteger, nullable=True),
)


def _authority_documents(name: str) -> Table:
    """Every serial of one of the authority's signed documents this node accepted, verbatim,
    once each: replayed in serial order at start, so a restart still refuses an older serial."""
    return Table(
        name,
        metadata,
        Column("serial", BigInteger, primary_key=True, autoincrement=False),
        Column("federation_id", String(32), nullable=False),
        Column("issued_at_ms", BigInteger, nullable=False),
        Column("content_hash", HASH, nullable=False),
        Column("document", Text, nullable=False),
        Column("accepted_at_ms", BigInteger, nullable=False),
    )


# Federation directories (node/federation.py): the newest serial is the one in force; keeping
# them all also lets the node re-verify evidence signed under an older one.
directories = _authority_documents("directories")
# Link maps (docs/standard.md §22, node/linkmap.py).
link_maps = _authority_documents("link_maps")

# The node's own signing keys. Private keys stay in files (mode 0600); this is their history.
node_keys = Table(
    "node_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("public_key", String(64), nullable=False),
    Column("key_file", String(300), nullable=False),
    Column("valid_from_ms", BigInteger, nullable=False),
    Column("valid_until_ms", BigInteger, nullable=True),
)


# The federation exchange (docs/federation.md). One row per peer: both directions of the link.
links = Table(
    "links",
    metadata,
    Column("peer_node_id", String(32), primary_key=True),
    # Outgoing: the last of our transactions the peer answered (sequence and hash).
    Column("out_sequence", BigInteger, nullable=False),
    Column("out_hash", HASH, nullable=False),
    # Incoming: the last of the peer's transactions we accepted.
    Column("in_sequence", BigInteger, nullable=False),
    Column("in_hash", HASH, nullable=False),
    # Minutes our open transfers to this peer hold reserved: with the clearing balance, what
    # the net debit caps count. Kept in step with every reservation and settlement.
    Column("reserved_minutes", BigInteger, nullable=False),
    # Set when the two sides disagree about their shared history; only an operator clears it.
    Column("frozen_reason", String(48), nullable=True),
    Column("frozen_detail", String(500), nullable=True),
    Column("frozen_at_ms", BigInteger, nullable=True),
)

# Requests waiting to be sent. A row is written in the same database transaction as the ledger
# change it announces, and deleted when the peer's final answer has been applied.
outbox = Table(
    "outbox",
    metadata,
    Column("message_id", ID, primary_key=True),
    Column("peer_node_id", String(32), nullable=False),
    Column("type", String(32), nullable=False),
    Column("document", Text, nullable=False),
    Column("transaction_id", ID, nullable=True),  # the transaction carrying it now, if any
    Column("not_before_ms", BigInteger, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Index("ix_outbox_peer_ready", "peer_node_id", "transaction_id", "not_before_ms"),
    # The tick's latest stamp (node/exchange/store.py `latest_stamp`), every second.
    Index("ix_outbox_created", "created_at_ms"),
)

# Our signed transactions, each with the peer's signed response once answered: the evidence.
out_transactions = Table(
    "out_transactions",
    metadata,
    Column("peer_node_id", String(32), primary_key=True),
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("transaction_id", ID, nullable=False, unique=True),
    Column("transaction_hash", HASH, nullable=False),
    Column("document", Text, nullable=False),
    Column("response", Text, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("answered_at_ms", BigInteger, nullable=True),
)

# Peers' transactions we accepted, with the response we signed: a repeat gets it byte for byte.
in_transactions = Table(
    "in_transactions",
    metadata,
    Column("sender", String(32), primary_key=True),
    Column("transaction_id", ID, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("transaction_hash", HASH, nullable=False),
    Column("document", Text, nullable=False),
    Column("response", Text, nullable=False),
    Column("received_at_ms", BigInteger, nullable=False),
    # A settlement window's span of the incoming chain (migration 0022).
    Index("ix_in_transactions_sender_sequence", "sender", "sequence"),
)

# Final answers by (sender, message id): the same message again gets the same answer.
in_messages = Table(
    "in_messages",
    metadata,
    Column("sender", String(32), primary_key=True),
    Column("message_id", ID, primary_key=True),
    Column("message_hash", HASH, nullable=False),
    Column("answer", Text, nullable=False),
)

# Transfers other nodes' members sent to ours, by (debtor's node, transfer id).
remote_transfers = Table(
    "remote_transfers",
    metadata,
    Column("debtor_node", String(32), primary_key=True),
    Column("transfer_id", ID, primary_key=True),
    Column("prepare_hash", HASH, nullable=False),
    Column("state", String(16), nullable=False),
    Column("debtor", ADDRESS, nullable=True),
    Column("creditor", ADDRESS, nullable=True),
    Column("amount_minutes", BigInteger, nullable=True),
    Column("answer", Text, nullable=True),  # the receipt or reject body we signed
    Column("entry_height", BigInteger, nullable=True, index=True),
    Column("transaction_id", ID, nullable=True),
    Column("received_at_ms", BigInteger, nullable=False),
    # A settlement window's leaves, by the chain transaction that carried them (migration 0022).
    Index("ix_remote_transfers_transaction", "debtor_node", "transaction_id"),
    one_of("ck_remote_transfers_state", "state", RemoteTransferState),
)


# Relocations (standard §10) of our members to other nodes, by the client's id. The balances and
# history summary we sent are kept as JSON, as signed in the relocation.prepare.
relocations = Table(
    "relocations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_local_id", ID, nullable=False, index=True),
    Column("to_node", String(32), nullable=False),
    Column("new_local_id", ID, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reason_code", String(48), nullable=True),
    Column("detail", String(280), nullable=True),
    Column("new_address", ADDRESS, nullable=True),
    Column("request_hash", HASH, nullable=False),
    Column("wire_id", ID, nullable=False, unique=True),
    Column("message_id", ID, nullable=False),
    Column("balances", Text, nullable=False),
    Column("history", Text, nullable=False),
    Column("entry_height", BigInteger, nullable=True),
    Column("settled_entry_height", BigInteger, nullable=True),
    Column("actor", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Column("committed_at_ms", BigInteger, nullable=True),
    Column("updated_at_ms", BigInteger, nullable=False),
    Column("dispute", String(500), nullable=True),
    # Set with the receipt: the message hash it names and the transaction that carried it, which
    # place the relocation in a settlement window (docs/reconciliation.md).
    Column("prepare_hash", HASH, nullable=True),
    Column("answer_transaction_id", ID, nullable=True),
    # The member's consent to share her profile with the new node (migration 0016; null: she
    # did not agree, the prepare's profile is null) and the station she asked for there.
    Column("profile_consent_at_ms", BigInteger, nullable=True),
    Column("arrival_station", ID, nullable=True),
    # A settlement window's leaves, by the chain transaction that carried them (migration 0022).
    Index("ix_relocations_answer_transaction", "answer_transaction_id"),
    one_of("ck_relocations_state", "state", RelocationState),
)

# Relocations other nodes' members made to this node, by (old node, relocation id).
relocations_in = Table(
    "relocations_in",
    metadata,
    Column("from_node", String(32), primary_key=True),
    Column("relocation_id", ID, primary_key=True),
    Column("body_hash", HASH, nullable=False),
    Column("member", ADDRESS, nullable=False),  # the old address
    Column("new_local_id", ID, nullable=False),
    Column("balances", Text, nullable=False),
    Column("history", Text, nullable=False),
    Column("entry_height", BigInteger, nullable=True),
    Column("committed_at_ms", BigInteger, nullable=False),
    Column("transaction_id", ID, nullable=False),
    Column("prepare_hash", HASH, nullable=True),
    # A settlement window's leaves, by the chain transaction that carried them (migration 0022).
    Index("ix_relocations_in_transaction", "from_node", "transaction_id"),
)

# Payment requests our members (payees) sent to payers at other nodes, by the client's id.
payment_requests = Table(
    "payment_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("wire_id", ID, nullable=False, unique=True),  # the standard's request_id
    Column("message_id", ID, nullable=False),
    Column("payee", ADDRESS, nullable=False),
    Column("payer", ADDRESS, nullable=False),
    Column("amount_minutes", BigInteger, nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", String(140), nullable=False),
    # sent, acknowledged, refused, paid, declined
    Column("state", String(16), nullable=False),
    Column("reason_code", String(48), nullable=True),
    Column("detail", String(280), nullable=True),
    Column("paid_by_transfer", ID, nullable=True),  # the payer node's transfer id
    Column("request_hash", HASH, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    one_of("ck_payment_requests_state", "state", PaymentRequestState),
)

# Payment requests other nodes sent to our members (payers), by (payee's node, request id).
payment_requests_in = Table(
    "payment_requests_in",
    metadata,
    Column("payee_node", String(32), primary_key=True),
    Column("request_id", ID, primary_key=True),
    Column("body_hash", HASH, nullable=False),
    Column("payee", ADDRESS, nullable=False),
    Column("payer_local_id", ID, nullable=False, index=True),
    Column("amount_minutes", BigInteger, nullable=False),
    Column("category", String(32), nullable=False),
    Column("description", String(140), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("transfer_id", ID, nullable=True),  # our transfer that pays it, once approved
    Column("decline_message_id", ID, nullable=True),
    Column("decided_by", ADDRESS, nullable=True),
    Column("decided_at_ms", BigInteger, nullable=True),
    Column("received_at_ms", BigInteger, nullable=False),
    one_of("ck_payment_requests_in_state", "state", IncomingPaymentState),
)


# Settlement windows (docs/reconciliation.md): one row per link and window, cut at sequence
# numbers on both chains. `statement` is ours, signed; `record` the co-signed statement once
# both sides agree.
windows = Table(
    "windows",
    metadata,
    Column("peer_node_id", String(32), primary_key=True),
    Column("window_index", BigInteger, primary_key=True, autoincrement=False),
    Column("outgoing_cut", BigInteger, nullable=False),
    Column("incoming_cut", BigInteger, nullable=False),
    Column("closing_position_minutes", BigInteger, nullable=False),
    Column("state", String(16), nullable=False),
    Column("statement", Text, nullable=False),
    Column("peer_statement", Text, nullable=True),
    Column("record", Text, nullable=True),
    Column("digests_exchanged", BigInteger, nullable=False),
    Column("closed_at_ms", BigInteger, nullable=False),
    Column("reconciled_at_ms", BigInteger, nullable=True),
    # The journal height up to which closing this window checked for entries counted twice:
    # the next window checks only above it (migration 0022; null before it).
    Column("books_checked_height", BigInteger, nullable=True),
    one_of("ck_windows_state", "state", WindowState),
)

# Every difference reconciliation found, with what became of it: repaired from signed evidence,
# carried to the next window, or disputed (the link frozen until an operator resolves it).
discrepancies = Table(
    "discrepancies",
    metadata,
    Column("id", ID, primary_key=True),
    Column("peer_node_id", String(32), nullable=False, index=True),
    Column("window_index", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("debtor_node", String(32), nullable=True),
    Column("transfer_id", ID, nullable=True),
    Column("detail", String(500), nullable=False),
    Column("evidence", Text, nullable=True),
    Column("found_at_ms", BigInteger, nullable=False),
    Column("closed_at_ms", BigInteger, nullable=True),
    Column("closed_by", ADDRESS, nullable=True),
    one_of("ck_discrepancies_status", "status", DiscrepancyStatus),
    one_of("ck_discrepancies_outcome", "outcome", DiscrepancyOutcome),
)

# When the responder first received a proposal of (closer, window, its outgoing cut, its
# incoming cut) that it told to come back (standard §20.2, §20.6): the cut rule judges the
# closer's later proposals of those cuts, signed again, by that time. Written once per cuts, at
# most SIGHTINGS_PER_PEER_MAX rows per peer (node/reconcile/sightings.py; migration 0026).
reconcile_sightings = Table(
    "reconcile_sightings",
    metadata,
    Column("peer_node_id", String(32), primary_key=True),
    Column("window_index", BigInteger, primary_key=True, autoincrement=False),
    Column("outgoing_cut", BigInteger, primary_key=True, autoincrement=False),
    Column("incoming_cut", BigInteger, primary_key=True, autoincrement=False),
    Column("first_seen_ms", BigInteger, nullable=False),
)


# The local time bank (docs/timebank.md). Vetting of needy members by staff: whether a member is
# in hardship (earlier redemption age) and whether their services are paid from issuance.
tb_profiles = Table(
    "tb_profiles",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("hardship", Integer, nullable=False),  # 0 or 1
    Column("subsidised", Integer, nullable=False),  # 0 or 1
    Column("reason", String(500), nullable=False),
    Column("vetted_by", ADDRESS, nullable=False),
    Column("vetted_at_ms", BigInteger, nullable=False),
)

# The kin registry: relatives and friends a member may give hours to, as staff recorded them.
tb_kin = Table(
    "tb_kin",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("relative", ADDRESS, primary_key=True),  # an address at any node
    Column("relation", String(24), nullable=False),
    Column("registered_by", ADDRESS, nullable=False),
    Column("registered_at_ms", BigInteger, nullable=False),
)

# Kin an arriving member's relocation profile names as parent or grandparent, until staff of
# her station or an admin confirm them into tb_kin (migration 0020, node/timebank/kin_pending.py).
tb_kin_pending = Table(
    "tb_kin_pending",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("relative", ADDRESS, primary_key=True),
    Column("relation", String(24), nullable=False),
    Column("relocation_id", ID, nullable=False),
    Column("proposed_by", ADDRESS, nullable=False),  # her old address
    Column("proposed_at_ms", BigInteger, nullable=False),
)

tb_sponsors = Table(
    "tb_sponsors",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("registered_by", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# Which sponsor funded a sponsored grant.
tb_sponsorships = Table(
    "tb_sponsorships",
    metadata,
    Column("grant_id", ID, ForeignKey("grants.id"), primary_key=True),
    Column("sponsor_id", ID, ForeignKey("tb_sponsors.id"), nullable=False, index=True),
)

tb_service_requests = Table(
    "tb_service_requests",
    metadata,
    Column("id", ID, primary_key=True),
    Column("recipient_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("station", ID, nullable=True),  # the recipient's station when it was posted
    Column("category", String(40), nullable=False),
    Column("item", String(40), nullable=True),
    Column("description", String(500), nullable=False),
    # open, accepted, in_progress, completed, disputed, paid, refunded, cancelled
    Column("state", String(16), nullable=False),
    Column("payer", String(16), nullable=False),  # recipient, or issuance (subsidised)
    Column("request_hash", HASH, nullable=False),
    Column("posted_by", ADDRESS, nullable=False),
    Column("recipient_age", Integer, nullable=True),
    Column("volunteer_local_id", ID, nullable=True, index=True),
    Column("volunteer_age", Integer, nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("accepted_at_ms", BigInteger, nullable=True),
    Column("checked_in_at_ms", BigInteger, nullable=True),
    Column("checked_out_at_ms", BigInteger, nullable=True),
    Column("duration_minutes", BigInteger, nullable=True),  # as measured
    Column("rounded_minutes", BigInteger, nullable=True),  # rounded to the policy's step
    Column("price_minutes", BigInteger, nullable=True),
    Column("held_minutes", BigInteger, nullable=True),  # in escrow since check-out
    Column("hold_entry_height", BigInteger, nullable=True),
    Column("rating", Integer, nullable=True),
    Column("comment", String(500), nullable=True),
    Column("confirmed_by", ADDRESS, nullable=True),
    Column("settled_at_ms", BigInteger, nullable=True),
    Column("released_minutes", BigInteger, nullable=True),  # paid for the service
    Column("refunded_minutes", BigInteger, nullable=True),
    Column("credited_minutes", BigInteger, nullable=True),  # issued to the volunteer
    Column("overflow_minutes", BigInteger, nullable=True),  # beyond the caps
    Column("settle_entry_height", BigInteger, nullable=True),
    Column("updated_at_ms", BigInteger, nullable=False),
    Index("ix_tb_service_requests_state", "state", "created_at_ms"),
    one_of("ck_tb_service_requests_state", "state", ServiceRequestState),
)

# One dispute at most per request: a complaint holds its payment until staff resolve it.
tb_disputes = Table(
    "tb_disputes",
    metadata,
    Column("request_id", ID, ForeignKey("tb_service_requests.id"), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("reason", String(500), nullable=False),
    Column("raised_by", ADDRESS, nullable=False),
    Column("raised_at_ms", BigInteger, nullable=False),
    Column("outcome", String(16), nullable=True),
    Column("released_minutes", BigInteger, nullable=True),
    Column("resolution", String(500), nullable=True),
    Column("resolved_by", ADDRESS, nullable=True),
    Column("resolved_at_ms", BigInteger, nullable=True),
    one_of("ck_tb_disputes_state", "state", DisputeState),
    one_of("ck_tb_disputes_outcome", "outcome", DisputeOutcome),
)

# Every step of a request, a dispute, a vetting or a kin record: who, when, what, and the
# ledger entry it made. Append-only.
tb_audit = Table(
    "tb_audit",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", String(80), nullable=False),  # e.g. request:r1, member:alice
    Column("action", String(32), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("detail", String(500), nullable=False),
    Column("entry_height", BigInteger, nullable=True),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_tb_audit_subject", "subject", "id"),
)

# An elder's standing visit code (node/timebank/visit_codes.py, migration 0011): what her
# volunteer presents to check in. Sealed with the node's visit-code key, which is kept in the
# data folder, not here; `card` goes up with every new code and is part of what is sealed.
tb_visit_codes = Table(
    "tb_visit_codes",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("sealed", String(100), nullable=False),
    Column("card", Integer, nullable=False),
    Column("made_by", ADDRESS, nullable=False),
    Column("made_at_ms", BigInteger, nullable=False),
)

tb_redemptions = Table(
    "tb_redemptions",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("goods", String(40), nullable=False),
    Column("quantity", Integer, nullable=False),
    Column("amount_minutes", BigInteger, nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("entry_height", BigInteger, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# Donations into a pool (ours, or another node's through a transfer) and distributions from ours.
tb_donations = Table(
    "tb_donations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),  # donation, distribution
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("to_node", String(32), nullable=True),  # another node's pool
    Column("amount_minutes", BigInteger, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("entry_height", BigInteger, nullable=True),
    Column("transfer_id", ID, nullable=True),  # the cross-node transfer carrying it
    Column("actor", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# A member's death as staff recorded it (node/timebank/deaths.py, migration 0014): what the
# policy's lifecycle.on_death did with her hours, in the one `estate` journal entry named here.
# `heirs` is JSON [{"relative", "minutes"}] of local ids; `note` says what papers staff saw
# (never an ID-card number). Written once per member.
tb_deaths = Table(
    "tb_deaths",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("disposition", String(24), nullable=False),  # the OnDeath value applied
    Column("heirs", String(2000), nullable=False),
    Column("pool_minutes", BigInteger, nullable=False),  # to the node's donation pool
    Column("debt_minutes", BigInteger, nullable=False),  # negative classes, left on the books
    Column("note", String(200), nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("entry_height", BigInteger, nullable=True),  # None: she held nothing
    Column("recorded_by", ADDRESS, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
)

# The node's decision to close (node/timebank/closure.py, migration 0014): one row at most,
# `id` 1. What lifecycle.on_closure asks of members, and the successor node it names.
tb_closure = Table(
    "tb_closure",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("on_closure", String(24), nullable=False),
    Column("successor", String(32), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("request_hash", HASH, nullable=False),
    Column("decided_by", ADDRESS, nullable=False),
    Column("decided_at_ms", BigInteger, nullable=False),
)

# Volunteer-service certificates the node issued (node/certificates/): enough to say later that
# it issued one, never the document itself nor the name it holds. `by_category` is JSON
# {category: {"visits", "minutes"}}.
tb_certificates = Table(
    "tb_certificates",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("from_ms", BigInteger, nullable=False),
    Column("to_ms", BigInteger, nullable=False),
    Column("total_minutes", BigInteger, nullable=False),
    Column("visits", Integer, nullable=False),
    Column("by_category", Text, nullable=False),
    Column("document_sha256", HASH, nullable=False),
    Column("key_id", String(64), nullable=False),
    Column("issued_by", ADDRESS, nullable=False),
    Column("issued_at_ms", BigInteger, nullable=False),
)

# Visits recorded after the fact and qualifications (migration 0019): the slip a visit was last
# recorded from (a repeat replays), corrections of paid visits (each a `service_adjust` entry
# once confirmed), and volunteers' trainings and qualifications (node/timebank/).
tb_slip_records = Table(
    "tb_slip_records",
    metadata,
    Column("request_id", ID, ForeignKey("tb_service_requests.id"), primary_key=True),
    Column("slip_hash", HASH, nullable=False),
    Column("reference", ID, nullable=False),
    Column("recorded_by", ADDRESS, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
)
tb_service_adjustments = Table(
    "tb_service_adjustments",
    metadata,
    Column("id", ID, primary_key=True),
    Column("request_id", ID, ForeignKey("tb_service_requests.id"), nullable=False, index=True),
    Column("request_hash", HASH, nullable=False),
    Column("state", String(16), nullable=False),
    Column("reference", ID, nullable=False),
    Column("reason", String(500), nullable=False),
    Column("duration_minutes", Integer, nullable=False),
    Column("rounded_before", Integer, nullable=False),
    Column("rounded_after", Integer, nullable=False),
    Column("price_before", Integer, nullable=False),
    Column("price_after", Integer, nullable=False),
    Column("recorded_by", ADDRESS, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
    Column("confirmed_by", ADDRESS, nullable=True),
    Column("confirmed_at_ms", BigInteger, nullable=True),
    Column("entry_height", BigInteger, nullable=True),
    # a pending correction withdrawn unconfirmed (migration 0021): who, when, why
    Column("withdrawn_by", ADDRESS, nullable=True),
    Column("withdrawn_at_ms", BigInteger, nullable=True),
    Column("withdraw_reason", String(500), nullable=True),
    one_of("ck_tb_service_adjustments_state", "state", CorrectionState),
)
tb_qualifications = Table(
    "tb_qualifications",
    metadata,
    Column("id", ID, primary_key=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("request_hash", HASH, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("issuer", String(200), nullable=False),
    Column("valid_from", String(10), nullable=False),  # YYYY-MM-DD, the policy's time zone
    Column("valid_until", String(10), nullable=True),  # inclusive; None: no end
    Column("evidence_ref", String(200), nullable=False),
    Column("recorded_by", ADDRESS, nullable=False),
    Column("recorded_at_ms", BigInteger, nullable=False),
)

# Accounts the node created for itself (node/services/system_accounts.py): the ledger's own, the
# service escrow and the donation pool. Only init, start-up, migration 0007 and the operator's
# `hourbridge admin reclaim-system-id` write here, so a member registered under a system id never
# carries the mark: a `members` row with such an id and no row here is an impostor.
system_accounts = Table(
    "system_accounts",
    metadata,
    Column("code", ADDRESS, ForeignKey("accounts.code"), primary_key=True),
    Column("purpose", String(24), nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
)

# Members signing in (node/people, migration 0009). Personal secrets beside the ledger, never in
# it: a PIN is kept only as its Argon2id hash, an activation code only as its SHA-256.
# `version` goes up at every activation and reset; a session remembers the version it was opened
# under, so a reset ends every live session of the member.
member_credentials = Table(
    "member_credentials",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("secret_hash", String(200), nullable=True),  # NULL: reset, no PIN until activation
    Column("version", Integer, nullable=False),
    Column("failed_count", Integer, nullable=False),  # wrong PINs since the last success or lock
    Column("locked_until_ms", BigInteger, nullable=True),
    Column("set_at_ms", BigInteger, nullable=True),
    Column("last_sign_in_at_ms", BigInteger, nullable=True),
    Column("updated_at_ms", BigInteger, nullable=False),
)

# One-time activation codes staff hand a member (on paper, as a QR code). At most one is open
# per member: a new one voids the older ones.
member_invitations = Table(
    "member_invitations",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("code_hash", HASH, nullable=False, unique=True),
    Column("created_by", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("expires_at_ms", BigInteger, nullable=False),
    Column("used_at_ms", BigInteger, nullable=True),
    Column("voided_at_ms", BigInteger, nullable=True),
)

# Who may act for whom: a member of this node (registered kin) acting for an elder. Rows are
# never deleted; a revoked grant keeps who ended it and when.
member_delegates = Table(
    "member_delegates",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("delegate_local_id", ID, ForeignKey("members.local_id"), nullable=False, index=True),
    Column("granted_by", ADDRESS, nullable=False),
    Column("granted_at_ms", BigInteger, nullable=False),
    Column("revoked_by", ADDRESS, nullable=True),
    Column("revoked_at_ms", BigInteger, nullable=True),
)

# Corrections of a member's record (node/services/member_edits.py, migration 0012): one row per
# field changed, with who, when, why, before and after. Personal data, so beside the ledger and
# never in the journal; append-only. A merge of a duplicate writes `merged_into` on the
# duplicate and `merged_from` on the member kept.
member_changes = Table(
    "member_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False),
    Column("field", String(32), nullable=False),
    Column("before", String(200), nullable=True),  # None: the field was empty
    Column("after", String(200), nullable=True),
    Column("reason", String(500), nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("at_ms", BigInteger, nullable=False),
    Index("ix_member_changes_member", "member_local_id", "id"),
)


# Notifications (issue 13, node/notify/): a member's outbox of events, written in the same
# database transaction as the event. The payload holds ids and numbers only; the words are
# rendered when read or sent. `planned_at_ms` is set once the delivery tick has decided which
# channels carry it (none, if the node has no channel or the member no contact for it).
notifications = Table(
    "notifications",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", String(500), nullable=False),  # JSON: ids and integers only
    Column("created_at_ms", BigInteger, nullable=False),
    Column("read_at_ms", BigInteger, nullable=True),
    Column("planned_at_ms", BigInteger, nullable=True),
    Index("ix_notifications_member", "member_local_id", "id"),
    Index("ix_notifications_planned", "planned_at_ms", "id"),
    one_of("ck_notifications_kind", "kind", NotificationKind),
)

# One row per notification and channel that carries it: sent at least once, with the
# notification's id as the receiver's idempotency key (docs/notifications.md).
notification_deliveries = Table(
    "notification_deliveries",
    metadata,
    Column("notification_id", Integer, ForeignKey("notifications.id"), primary_key=True,
           autoincrement=False),
    Column("channel", String(16), primary_key=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at_ms", BigInteger, nullable=False),
    Column("last_error", String(200), nullable=True),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("delivered_at_ms", BigInteger, nullable=True),
    Index("ix_notification_deliveries_due", "state", "channel", "next_attempt_at_ms"),
    one_of("ck_notification_deliveries_channel", "channel", DeliveryChannel),
    one_of("ck_notification_deliveries_state", "state", DeliveryState),
)

# Personal data, beside the ledger and never in the journal: where a member's notifications
# go. Read and written only through node/notify/contacts.py, which audits every access
# (tb_audit, subject `contacts:<local_id>`), refused ones included.
member_contacts = Table(
    "member_contacts",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("email", String(254), nullable=True),
    Column("gateway_recipient", String(128), nullable=True),  # opaque id for the city's gateway
    Column("updated_by", ADDRESS, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

# Personal data under the PIPL (node/privacy/, migration 0017): beside the ledger, never in the
# journal. The ID-card number only as its HMAC-SHA256 under the node's id-number key (kept in
# the data folder) and masked for display. Read and written only through node/privacy, which
# writes every access, refused ones included, to the hash-chained `access_log`.
personal_data = Table(
    "personal_data",
    metadata,
    Column("member_local_id", ID, ForeignKey("members.local_id"), primary_key=True),
    Column("phone", String(32), nullable=True),
    Column("emergency_name", String(200), nullable=True),
    Column("emergency_phone", String(32), nullable=True),
    Column("home_address", String(500), nullable=True),
    Column("id_hash", HASH, nullable=True, index=True),
    Column("id_masked", String(24), nullable=True),
    Column("care_notes", String(2000), nullable=True),
    Column("updated_by", ADDRESS, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
)

# Consent per purpose: one row per consent given, closed by its withdrawal. A member under 14
# consents through a named guardian.
privacy_consents = Table(
    "privacy_consents",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("member_local_id", ID, ForeignKey("members.local_id"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("guardian_name", String(200), nullable=True),
    Column("given_by", ADDRESS, nullable=False),
    Column("given_at_ms", BigInteger, nullable=False),
    Column("withdrawn_by", ADDRESS, nullable=True),
    Column("withdrawn_at_ms", BigInteger, nullable=True),
    Index("ix_privacy_consents_member", "member_local_id", "purpose", "id"),
)

# Who read or changed which member's personal data, and when (node/privacy/access_log.py):
# append-only and hash-chained by `seq`; rows older than the retention are pruned from the
# start, and `access_log_head` keeps the hash of the last pruned row as the chain's anchor.
access_log = Table(
    "access_log",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("member_local_id", ID, nullable=False),
    Column("actor", ADDRESS, nullable=False),
    Column("action", String(16), nullable=False),  # read, change, export, erase
    Column("fields", String(300), nullable=False),
    Column("result", String(8), nullable=False),  # allowed, refused
    Column("at_ms", BigInteger, nullable=False),
    Column("prev_hash", HASH, nullable=False),
    Column("row_hash", HASH, nullable=False),
    Index("ix_access_log_member", "member_local_id", "seq"),
    Index("ix_access_log_at", "at_ms"),
)

# One row (`id` 1): the access log's last row and its anchor (the last pruned row).
access_log_head = Table(
    "access_log_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
    Column("last_hash", HASH, nullable=False),
    Column("anchor_seq", BigInteger, nullable=False),  # 0: nothing pruned yet
    Column("anchor_hash", HASH, nullable=False),
)

# Bulk import (node/imports/, migration 0013): every row imported, by kind, programme and the
# row's own source id, with what it became (a member's local id, a grant's id) and the hash of
# its normalised content. A re-import skips a known row; the same source id with another hash
# is refused. Written in the same transaction as the member or grant it records.
import_rows = Table(
    "import_rows",
    metadata,
    Column("kind", String(16), primary_key=True),
    Column("programme", ID, primary_key=True),
    Column("source_id", ID, primary_key=True),
    Column("content_hash", HASH, nullable=False),
    Column("target", ID, nullable=False),
    Column("file_name", String(200), nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("imported_by", ADDRESS, nullable=False),
    Column("imported_at_ms", BigInteger, nullable=False),
    CheckConstraint("kind IN ('members', 'records')", name="ck_import_rows_kind"),
)

# The node's service stations (node/stations/, migration 0018). Members' `station` names one of
# these once any is registered; a node with none keeps free labels (docs/decisions.md).
stations = Table(
    "stations",
    metadata,
    Column("id", ID, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("address", String(200), nullable=False),
    Column("district_code", String(6), nullable=False),  # 6-digit administrative division
    Column("active", Integer, nullable=False),  # 0 or 1
    Column("created_at_ms", BigInteger, nullable=False),
    Column("updated_at_ms", BigInteger, nullable=False),
    CheckConstraint("active IN (0, 1)", name="ck_stations_active"),
)

# Console logins (node/staff/, migration 0018): a password only as its Argon2id hash. `version`
# goes up when the account is disabled or re-enabled, which ends every session opened before.
staff_accounts = Table(
    "staff_accounts",
    metadata,
    Column("username", String(32), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("station", ID, ForeignKey("stations.id"), nullable=True),
    Column("secret_hash", String(200), nullable=False),
    Column("version", Integer, nullable=False),
    Column("failed_count", Integer, nullable=False),
    Column("locked_until_ms", BigInteger, nullable=True),
    Column("disabled_at_ms", BigInteger, nullable=True),
    Column("created_by", ADDRESS, nullable=False),
    Column("created_at_ms", BigInteger, nullable=False),
    Column("last_sign_in_at_ms", BigInteger, nullable=True),
    Column("updated_at_ms", BigInteger, nullable=False),
    CheckConstraint("role IN ('admin', 'staff')", name="ck_staff_accounts_role"),
    CheckConstraint("(role = 'staff') = (station IS NOT NULL)", name="ck_staff_accounts_station"),
)
