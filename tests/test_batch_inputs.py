"""Opening and hashing a batch's inputs: in turn while reading is quick, with threads once it is slow
(a network share, large files), and every input keeps its place and its own error either way."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import core.batch.inputs as inputs
from core.batch.inputs import prepare
from core.sources import DocumentInput, open_source
from tests.batch_support import make_documents


@pytest.fixture
def readers(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The name of the thread that opened each input, in the order they were opened."""
    names: list[str] = []

    def recording(document: DocumentInput, **kwargs: Any) -> Any:
        names.append(threading.current_thread().name)
        return open_source(document, **kwargs)

    monkeypatch.setattr(inputs, "open_source", recording)
    return names


def test_quick_reads_are_done_in_turn_without_threads(tmp_path: Path, readers: list[str]) -> None:
    docs = make_documents(tmp_path / "in", 30)
    prepared = prepare([*docs, tmp_path / "missing.pdf"], workers=8)
    assert set(readers) == {threading.current_thread().name}
    assert [p.index for p in prepared] == list(range(31))
    assert all(p.source is not None for p in prepared[:30])
    assert prepared[30].source is None and prepared[30].error is not None


def test_once_reading_is_slow_the_rest_is_read_by_threads(tmp_path: Path, readers: list[str]) -> None:
    docs = make_documents(tmp_path / "in", 30)
    prepared = prepare([*docs, tmp_path / "missing.pdf"], workers=8, slow_read=0.0)
    probe = inputs.PROBE_READS
    assert set(readers[:probe]) == {threading.current_thread().name}
    assert all(name.startswith("docrelay-hash") for name in readers[probe:])
    assert [p.index for p in prepared] == list(range(31))
    assert [p.source.sha256 for p in prepared[:30] if p.source] == [open_source(doc).sha256 for doc in docs]
    assert prepared[30].error is not None
