"""Reaching the shared journal's database: connection strings (shown without their password), errors
that say what to fix, and the schema, created or migrated by one process at a time."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from core.batch.journal import SCHEMA_VERSION
from core.errors import ConfigError, JournalUnavailableError, UsageError
from core.redact import redact_text

if TYPE_CHECKING:
    import psycopg

SCHEMES = ("postgresql://", "postgres://")
ADVISORY_KEY = 0x646F6372  # "docr": serializes schema creation among processes starting together
_NOW = "extract(epoch from clock_timestamp())"

TABLES = [
    """CREATE TABLE IF NOT EXISTS docrelay_schema (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        version INTEGER NOT NULL
    )""",
    """CREATE TABLE IF NOT EXISTS docrelay_documents (
        sha256 TEXT NOT NULL,
        provider TEXT NOT NULL,
        model TEXT NOT NULL,
        source TEXT,
        name TEXT,
        state TEXT NOT NULL,
        document_id TEXT,
        prediction_id TEXT,
        document TEXT,
        job TEXT,
        result BYTEA,
        error_type TEXT,
        error_message TEXT,
        uploads INTEGER NOT NULL DEFAULT 0,
        predictions INTEGER NOT NULL DEFAULT 0,
        predict_started DOUBLE PRECISION,
        created DOUBLE PRECISION NOT NULL,
        updated DOUBLE PRECISION NOT NULL,
        owner TEXT,
        lease_until DOUBLE PRECISION,
        claimed DOUBLE PRECISION,
        PRIMARY KEY (sha256, provider, model)
    )""",
    "CREATE INDEX IF NOT EXISTS docrelay_documents_updated ON docrelay_documents (updated)",
    "CREATE INDEX IF NOT EXISTS docrelay_documents_owner ON docrelay_documents (owner)",
]
# Steps from version N-1 to N, applied in order under the advisory lock (none yet beyond the first).
MIGRATIONS: dict[int, list[str]] = {}


def create_or_migrate(db: psycopg.Connection[Any], location: str, retention_days: float) -> None:
    """Create the tables or bring them to SCHEMA_VERSION, one process at a time (an advisory lock
    held to the end of the transaction); drop rows untouched for `retention_days`."""
    with db.transaction():
        db.execute("SELECT pg_advisory_xact_lock(%s)", (ADVISORY_KEY,))
        for statement in TABLES:
            db.execute(statement)
        row = db.execute("SELECT version FROM docrelay_schema WHERE id = 1").fetchone()
        version = int(row[0]) if row else 0
        if version > SCHEMA_VERSION:
            raise UsageError(
                f"The journal {location} was written by a newer docrelay (schema {version})",
                hint="Update docrelay on this machine to the version the other robots use.",
            )
        for step in range(max(version, 1) + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS.get(step, []):
                db.execute(statement)
        db.execute(
            "INSERT INTO docrelay_schema (id, version) VALUES (1, %s) "
            "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
            (SCHEMA_VERSION,),
        )
        if retention_days > 0:
            db.execute(
                f"DELETE FROM docrelay_documents WHERE updated < {_NOW} - %s "
                f"AND (owner IS NULL OR lease_until < {_NOW})",
                (retention_days * 86400,),
            )


def is_postgres_url(target: str) -> bool:
    return target.strip().lower().startswith(SCHEMES)


def shown_url(url: str) -> str:
    """The connection string with any password masked, for logs and outputs."""
    return redact_text(url.strip())


def url_password(url: str) -> str | None:
    try:
        return urlsplit(url.strip()).password
    except ValueError:
        return None


def reason(exc: Exception) -> str:
    """The server's or libpq's first line, redacted (it may quote the connection string)."""
    text = str(exc).strip().splitlines()
    return redact_text(text[0] if text else type(exc).__name__)


def connect_error(location: str, exc: Exception) -> Exception:
    """The error to raise for a failed connection: a refused login or a missing database is the
    configuration (3), a malformed string a usage error (2), anything else the network (9)."""
    why = reason(exc)
    lowered = why.lower()
    if "password" in lowered or "authentication" in lowered or "role" in lowered:
        return ConfigError(
            f"The journal database {location} refused the login: {why}",
            hint="Check the user in the connection string and its password (setting journal_password, "
            "which may be a keyring: reference, or the variable DOCRELAY_JOURNAL_PASSWORD).",
        )
    if "does not exist" in lowered:
        return ConfigError(
            f"The journal database {location} does not exist: {why}",
            hint="Ask the database administrator to create it (CREATE DATABASE), or fix its name.",
        )
    if "in uri" in lowered or ("invalid" in lowered and ("value" in lowered or "option" in lowered)):
        return UsageError(
            f"The journal {location} is not a valid PostgreSQL connection string: {why}",
            hint="Write it as postgresql://USER@HOST:5432/DATABASE (with ?sslmode=... if needed).",
        )
    return JournalUnavailableError(
        f"Cannot reach the journal database {location}: {why}",
        hint="Check that the server is running and reachable from this machine; nothing was sent.",
    )
