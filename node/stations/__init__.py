"""The node's registry of service stations (issue 14, item 8): node/stations/registry.py."""
