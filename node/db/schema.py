"""Table definitions (SQLAlchemy Core). Migrations in node/migrations create exactly these;
tests/node/db/test_migrations.py fails if the two drift apart."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
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

metadata = MetaData()

HASH = String(64)
ID = String(64)
ADDRESS = String(100)

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
OPEN_TRANSFER = text("transfers.state IN ('pending', 'in_doubt')")

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
    # A member's "pending out" sum. Partial: only open transfers are indexed, so the committed
    # history (nearly every row) costs the index nothing.
    Index(
        "ix_transfers_open_by_debtor",
        "debtor",
        sqlite_where=OPEN_TRANSFER,
        postgresql_where=OPEN_TRANSFER,
    ),
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


# Every federation directory this node accepted, verbatim. The newest serial is the one in force;
# keeping them all lets the node refuse an older serial after a restart and re-verify evidence.
directories = Table(
    "directories",
    metadata,
    Column("serial", BigInteger, primary_key=True, autoincrement=False),
    Column("federation_id", String(32), nullable=False),
    Column("issued_at_ms", BigInteger, nullable=False),
    Column("content_hash", HASH, nullable=False),
    Column("document", Text, nullable=False),
    Column("accepted_at_ms", BigInteger, nullable=False),
)

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
