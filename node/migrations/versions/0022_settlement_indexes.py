"""Settlement cost bounded by the window, not by the link's history (issue 17, item 1).

Indexes for the queries that find a window's Merkle leaves (node/reconcile/leaves.py) and for
the check of entries counted twice (node/reconcile/records.py), each of which scanned the whole
history of a link (or the whole `transfers` table, local transfers included) at every close:

* `transfers.answer_transaction_id`, `relocations.answer_transaction_id`: our outgoing
  transfers carried by the chain transactions in the window's span;
* `in_transactions (sender, sequence)`: the window's span of our incoming chain;
* `remote_transfers (debtor_node, transaction_id)`, `relocations_in (from_node,
  transaction_id)`: the peer's transfers carried by those transactions;
* `journal_entries.ref`, partial to the four kinds that move a clearing account: the earlier
  clearing entries of a transfer settled in the window.

`windows.books_checked_height`: the journal height up to which the close of that window
checked for entries counted twice; the next window checks only the entries above it. Null in
windows closed before this revision: the first close after it checks the whole history once.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

# As node/db/schema.py spells them (SETTLING_ENTRY, and the partial transfers index).
SETTLING_ENTRY = ("journal_entries.kind IN ('transfer_settle', 'transfer_in', "
                  "'relocation_out', 'relocation_in')")
ANSWERED = "answer_transaction_id IS NOT NULL"
INDEXES: tuple[tuple[str, str, list[str], str | None], ...] = (
    ("ix_transfers_answer_transaction", "transfers", ["answer_transaction_id"], ANSWERED),
    ("ix_relocations_answer_transaction", "relocations", ["answer_transaction_id"], None),
    ("ix_in_transactions_sender_sequence", "in_transactions", ["sender", "sequence"], None),
    ("ix_remote_transfers_transaction", "remote_transfers", ["debtor_node", "transaction_id"],
     None),
    ("ix_relocations_in_transaction", "relocations_in", ["from_node", "transaction_id"], None),
    ("ix_journal_entries_settling_ref", "journal_entries", ["ref"], SETTLING_ENTRY),
)


def upgrade() -> None:
    for name, table, columns, where in INDEXES:
        condition = None if where is None else sa.text(where)
        op.create_index(name, table, columns, sqlite_where=condition,
                        postgresql_where=condition)
    with op.batch_alter_table("windows") as batch:
        batch.add_column(sa.Column("books_checked_height", sa.BigInteger(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("windows") as batch:
        batch.drop_column("books_checked_height")
    for name, table, _columns, _where in reversed(INDEXES):
        op.drop_index(name, table_name=table)
