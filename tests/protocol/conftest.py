"""Shared fixtures for the protocol tests: the vectors' fixed keys and signed directory."""

from __future__ import annotations

import pytest

from protocol.conformance.fixtures import vector_directory, vector_key
from protocol.directory import Directory
from protocol.signing import SigningKey


@pytest.fixture(scope="session")
def directory() -> Directory:
    return vector_directory()


@pytest.fixture(scope="session")
def sender_key() -> SigningKey:
    return vector_key("sh-pudong")


@pytest.fixture(scope="session")
def receiver_key() -> SigningKey:
    return vector_key("nj-gulou")
