"""`docrelay result FILE`: a document's result read from the journal a batch wrote, on both backends
(a SQLite file and the shared PostgreSQL journal on a real server): one view for every robot."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg

from core.batch import open_journal
from core.batch.journal import Journal
from core.models import JobHandle
from core.sources import DocumentSource
from tests.batch_support import MODEL, make_documents, predictions_by_document
from tests.cli_helpers import emulator_env, isolated_env, run_docrelay
from tests.pg_server import PostgresServer


def _batch(emu: Any, tmp_path: Path, folder: Path, journal: str) -> dict[str, Any]:
    env = emulator_env(tmp_path, emu)
    run = run_docrelay("batch", str(folder), "--model", MODEL, "--journal", journal, "--quiet", env=env)
    assert run.exit_code == 0, run.stdout
    data: dict[str, Any] = run.document["data"]
    return data


def test_a_batched_document_is_read_back_from_the_journal(
    tmp_path: Path, make_cradl_emulator: Any, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 2)
    batch = _batch(emu, tmp_path, tmp_path / "in", journal_target)
    predicted = dict(predictions_by_document(emu))
    renamed = tmp_path / "elsewhere" / "same-content.pdf"  # another robot's copy: found by its content
    renamed.parent.mkdir()
    renamed.write_bytes(docs[1].read_bytes())
    env = emulator_env(tmp_path, emu, DOCRELAY_JOURNAL=journal_target)  # the setting, as robots set it
    for path in (docs[0], renamed):
        run = run_docrelay("result", str(path), "--model", MODEL, env=env)
        assert run.exit_code == 0, run.stdout
        result = run.document["data"]
        assert result["status"] == "succeeded" and result["extras"]["from_journal"] is True
        assert result["document"]["name"] == path.name
        original = next(r for r in batch["results"] if r["prediction_id"] == result["prediction_id"])
        assert result["fields"] == original["fields"]
    explicit = run_docrelay("result", str(docs[0]), "--model", MODEL, "--journal", journal_target, env=env)
    assert explicit.exit_code == 0
    assert predictions_by_document(emu) == predicted  # read from the journal: no call to the service
    if journal_target.startswith("postgresql://"):
        password = journal_target.split(":")[2].split("@")[0]
        assert password not in run.stdout + run.stderr + explicit.stdout + explicit.stderr


def test_a_document_the_journal_does_not_have_is_not_found(
    tmp_path: Path, make_cradl_emulator: Any, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    make_documents(tmp_path / "in", 1)
    _batch(emu, tmp_path, tmp_path / "in", journal_target)
    other = make_documents(tmp_path / "other", 1, start=7)[0]
    env = emulator_env(tmp_path, emu)
    run = run_docrelay("result", str(other), "--model", MODEL, "--journal", journal_target, env=env)
    assert run.exit_code == 6 and run.error["type"] == "not_found", run.stdout
    run = run_docrelay(
        "result", str(other), "--model", "las:model:other", "--journal", journal_target, env=env
    )
    assert run.exit_code == 6 and "las:model:other" in run.error["message"]


def test_the_excel_bridge_fills_a_workbook_from_the_robots_shared_journal(
    tmp_path: Path, make_cradl_emulator: Any, postgres_url: str, postgres_server: PostgresServer
) -> None:
    from tests.test_excel_cli import run_excel

    emu = make_cradl_emulator(engine="stub")
    make_documents(tmp_path / "in", 3)
    _batch(emu, tmp_path, tmp_path / "in", postgres_url)  # the robots' work
    predicted = dict(predictions_by_document(emu))
    env = emulator_env(tmp_path, emu, DOCRELAY_JOURNAL=postgres_url)  # the clerk's `journal` setting
    created = run_excel("new", "book.xlsx", "--provider", "cradl", "--model", MODEL, "--folder", "in",
                        env=env, cwd=tmp_path)  # fmt: skip
    assert created.exit_code == 0, created.stdout
    ran = run_excel("run", "book.xlsx", env=env, cwd=tmp_path)
    assert ran.exit_code == 0, ran.stdout
    data = ran.document["data"]
    assert data["summary"]["succeeded"] == 3 and data["from_journal"] == 3
    assert data["journal"].startswith("postgresql://docrelay:***@")
    assert postgres_server.password not in ran.stdout + ran.stderr
    assert predictions_by_document(emu) == predicted  # the workbook is a view of the shared journal


def test_unfinished_and_failed_documents_say_where_they_stand(tmp_path: Path, journal_target: str) -> None:
    pending, failed = make_documents(tmp_path / "in", 2)
    job = JobHandle.model_validate(
        {
            "provider": "cradl",
            "model": MODEL,
            "prediction_id": "las:prediction:abc",
            "document": {"id": "las:document:abc", "name": pending.name},
        }
    )
    with open_journal(journal_target) as journal:
        for path, changes in (
            (pending, {"state": "predicting", "job": job.model_dump_json(), "prediction_id": "x"}),
            (failed, {"state": "failed", "error_type": "input_error", "error_message": "unreadable"}),
        ):
            sha = DocumentSource.from_path(path).sha256
            entry = journal.claim(journal.ensure(sha, "cradl", MODEL, str(path), path.name))
            assert entry is not None
            journal.update(entry, **changes)
    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl", DOCRELAY_JOURNAL=journal_target)
    run = run_docrelay("result", str(pending), "--model", MODEL, env=env)
    assert run.exit_code == 10 and "still being processed" in run.error["message"], run.stdout
    assert run.error["job"] == job.encode()  # `docrelay result JOB --wait` can take it from here
    waited = run_docrelay("result", str(pending), "--model", MODEL, "--wait", "--timeout", "1.5", env=env)
    assert waited.exit_code == 10 and waited.document["meta"]["elapsed_ms"] >= 1400
    run = run_docrelay("result", str(failed), "--model", MODEL, env=env)
    assert run.exit_code == 4 and "unreadable" in run.error["message"], run.stdout


def test_a_sqlite_journal_is_read_while_a_batch_holds_it(tmp_path: Path, make_cradl_emulator: Any) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 1)
    journal = str(tmp_path / "journal.sqlite3")
    _batch(emu, tmp_path, tmp_path / "in", journal)
    env = emulator_env(tmp_path, emu)
    with Journal(journal):  # a batch running on it: its lock keeps other batches away, not readers
        run = run_docrelay("result", str(docs[0]), "--model", MODEL, "--journal", journal, env=env)
    assert run.exit_code == 0, run.stdout
    missing = run_docrelay(
        "result", str(docs[0]), "--model", MODEL, "--journal", str(tmp_path / "none.sqlite3"), env=env
    )
    assert missing.exit_code == 6 and "no journal" in missing.error["message"]
    assert not (tmp_path / "none.sqlite3").exists()  # reading creates nothing


def test_an_unreachable_or_refusing_journal_database(
    tmp_path: Path, postgres_server: PostgresServer, postgres_url: str
) -> None:
    doc = make_documents(tmp_path / "in", 1)[0]
    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl")
    url = "postgresql://robot:hunter2-journal@127.0.0.1:9/intake?connect_timeout=2"
    run = run_docrelay("result", str(doc), "--model", MODEL, "--journal", url, env=env)
    assert run.exit_code == 9 and run.error["type"] == "network_error", run.stdout
    assert "postgresql://robot:***@127.0.0.1:9/intake" in run.error["message"]
    assert "hunter2-journal" not in run.stdout + run.stderr
    wrong = postgres_url.replace(postgres_server.password, "not-the-password")
    run = run_docrelay("result", str(doc), "--model", MODEL, "--journal", wrong, env=env)
    assert run.exit_code == 3 and "not-the-password" not in run.stdout + run.stderr
    run = run_docrelay("result", str(doc), "--model", MODEL, "--journal", postgres_url, env=env)
    assert run.exit_code == 6 and "holds no docrelay journal" in run.error["message"], run.stdout
    assert postgres_server.password not in run.stdout + run.stderr
    with psycopg.connect(postgres_url) as db:  # and reading created nothing there
        assert db.execute("SELECT to_regclass('docrelay_documents')").fetchone() == (None,)


def test_a_job_handle_is_still_a_job_handle(tmp_path: Path) -> None:
    env = isolated_env(tmp_path, DOCRELAY_PROVIDER="cradl")
    run = run_docrelay("result", "drjob1.not-base64!", env=env)
    assert run.exit_code == 2 and "job handle" in run.error["message"]
    run = run_docrelay("result", str(tmp_path / "missing.pdf"), "--model", MODEL, env=env)
    assert run.exit_code == 4, json.dumps(run.document)
