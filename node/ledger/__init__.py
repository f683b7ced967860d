"""The node's double-entry ledger: append-only, hash-chained, integer minutes."""
