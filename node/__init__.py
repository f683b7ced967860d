"""The deployable HourBridge node: ledger, storage, HTTP API, CLI."""
