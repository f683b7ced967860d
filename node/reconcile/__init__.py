"""Reconciliation between two nodes: settlement windows, their statements, the descent to the
differing transfers, evidence and repair (docs/federation.md, standard §11)."""
