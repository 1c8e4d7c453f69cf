"""Batches: many documents through one provider, concurrently, rate-limited, journaled and resumable.

    from core.services import Client
    with Client("cradl") as client:
        outcome = client.batch(["C:/in"], model="las:model:...", concurrency=8)
    outcome.summary      # {"total": 120, "succeeded": 118, "failed": 2, "pending": 0, ...}
    outcome.results      # one core.models.Result per input, in input order

The journal (core.batch.journal) keys each document by content SHA-256, provider and model, so a
re-run makes no call for what succeeded, and a run killed at any moment resumes without predicting
anything twice. With a postgresql:// journal (core.batch.pg_journal) many processes on many machines
share one intake: each document is claimed under a lease, predicted once, and its result seen by all.
Inputs: core.batch.inputs.collect_paths (folders with a glob, file lists, paths).
"""

from __future__ import annotations

from core.batch.engine import (
    DEFAULT_CONCURRENCY,
    MAX_CONCURRENCY,
    BatchEngine,
    BatchOutcome,
)
from core.batch.inputs import collect_paths, read_file_list
from core.batch.journal import Journal, default_journal_path
from core.batch.journals import JournalBackend, open_journal

__all__ = [
    "DEFAULT_CONCURRENCY",
    "MAX_CONCURRENCY",
    "BatchEngine",
    "BatchOutcome",
    "Journal",
    "JournalBackend",
    "collect_paths",
    "default_journal_path",
    "open_journal",
    "read_file_list",
]
