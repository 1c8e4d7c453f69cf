"""Fixtures that run one test against both journal backends: a SQLite file and a PostgreSQL database on
the throwaway server (tests/pg_server.py), started once per session and only if a test needs it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.pg_server import PostgresMissing, PostgresServer

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The session's PostgreSQL server. Missing binaries fail the test: CI installs them."""
    try:
        server = PostgresServer()
    except PostgresMissing as exc:
        pytest.fail(str(exc), pytrace=False)
    with server:
        yield server


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A connection string (password included) to a new, empty database."""
    return postgres_server.url(postgres_server.create_database())


@pytest.fixture(params=BACKENDS)
def journal_target(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a journal lives, as --journal takes it: a file, or a postgresql:// URL of a fresh database."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.sqlite3")
    url: str = request.getfixturevalue("postgres_url")
    return url
