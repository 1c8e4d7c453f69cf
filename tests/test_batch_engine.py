"""The batch engine in-process against the Cradl emulator: once per document, retries, pacing, stops."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from core.batch import BatchEngine, open_journal
from core.errors import AuthError, ConfigError, QuotaExceededError
from core.models import Result
from core.providers.base import PredictOptions
from core.transport.ratelimit import Limiter
from tests.batch_support import MODEL, cradl_client, make_documents, predictions_by_document
from tests.emulators.cradl import CradlEmulator

MakeEmulator = Callable[..., CradlEmulator]


def test_each_document_once_in_input_order(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=10)
    docs = make_documents(tmp_path / "in", 7)
    twin = tmp_path / "twin.pdf"
    twin.write_bytes(docs[2].read_bytes())  # same content under another name: predicted once
    inputs = [*docs[:4], twin, tmp_path / "missing.pdf", *docs[4:]]
    seen: list[str] = []
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(
            inputs,
            model=MODEL,
            concurrency=4,
            journal=tmp_path / "j.db",
            on_result=lambda r: seen.append(r.status),
        )
    assert [r.document.source for r in outcome.results] == [
        str(p.resolve()) if p.exists() else str(p) for p in inputs
    ]
    assert outcome.summary == {"total": 9, "succeeded": 8, "failed": 1, "pending": 0}
    assert sorted(seen) == sorted(r.status for r in outcome.results)
    missing = outcome.results[5]
    assert (
        missing.error is not None
        and missing.error.type == "input_error"
        and "not found" in missing.error.message
    )
    assert outcome.results[4].document.name == "twin.pdf"
    assert outcome.results[4].prediction_id == outcome.results[2].prediction_id
    assert sorted(predictions_by_document(emu).values()) == [1] * 7
    assert emu.requests_to("POST /predictions") == 7
    emu.assert_no_violations()


def test_the_last_round_starts_the_remaining_documents_before_advancing_others(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    """Documents are finished before more are started, except in the batch's last round: once the
    documents not started fit in one round of workers, they are uploaded before any other document's
    next step, so their chains do not run alone at the end."""
    emu = make_cradl_emulator(engine="stub", latency_ms=50, async_delay=0)
    docs = make_documents(tmp_path / "in", 6)
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, concurrency=2, journal=tmp_path / "j.db")
    assert outcome.summary["succeeded"] == 6
    order = emu.request_order()
    uploads = [i for i, endpoint in enumerate(order) if endpoint == "POST /documents"]
    predictions = [i for i, endpoint in enumerate(order) if endpoint == "POST /predictions"]
    assert len(uploads) == len(predictions) == 6
    assert predictions[1] < uploads[2]  # the first round: documents 1 and 2 go on before 3 starts
    assert uploads[5] < predictions[2]  # the last round: 3 to 6 are all uploaded, then predicted


def test_a_rerun_makes_no_call_for_what_succeeded(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 5)
    with cradl_client(emu, tmp_path) as client:
        first = client.batch(docs, model=MODEL, journal=journal_target)
    calls = emu.stats["total_requests"]
    with cradl_client(emu, tmp_path) as client:
        again = client.batch(docs, model=MODEL, journal=journal_target)
    assert emu.stats["total_requests"] == calls
    assert again.from_journal == 5 and again.summary["succeeded"] == 5
    assert [r.fields for r in again.results] == [r.fields for r in first.results]
    assert all(r.extras.get("from_journal") for r in again.results)
    with cradl_client(emu, tmp_path) as client:  # another model is another document to pay for
        client.batch(docs[:1], model="las:model:receipt", journal=journal_target)
    assert emu.requests_to("POST /predictions") == 6


class RecordingLimiter:
    """The provider's own limiter, with the moments it let requests go and the penalties it got."""

    def __init__(self, inner: Limiter) -> None:
        self.inner = inner
        self.passed: list[float] = []
        self.penalties: list[tuple[float, float]] = []
        self.lock = threading.Lock()

    def acquire(self, timeout: float | None = None) -> bool:
        allowed = self.inner.acquire(timeout)
        with self.lock:
            self.passed.append(time.monotonic())
        return allowed

    def penalize(self, seconds: float) -> None:
        with self.lock:
            self.penalties.append((time.monotonic(), seconds))
        self.inner.penalize(seconds)

    def release(self) -> None:
        self.inner.release()  # type: ignore[attr-defined]


def test_a_429_with_retry_after_holds_every_worker(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=30, async_delay=0.05)
    docs = make_documents(tmp_path / "in", 8)
    emu.script_fault("POST /documents", status=429, retry_after=0.6)
    with cradl_client(emu, tmp_path) as client:
        recorder = RecordingLimiter(client.provider.limiter)
        client.provider.limiter = recorder
        outcome = client.batch(docs, model=MODEL, concurrency=4, journal=tmp_path / "j.db")
        assert client.provider.api.http.limiter is recorder  # the one limiter of every call
    assert outcome.summary["succeeded"] == 8 and len(recorder.penalties) == 1
    penalized_at, seconds = recorder.penalties[0]
    held = [t for t in recorder.passed if penalized_at + 0.02 < t < penalized_at + seconds - 0.02]
    assert held == []  # no worker sent anything while the service asked us to wait
    assert len([t for t in recorder.passed if t >= penalized_at + seconds - 0.02]) >= 4


def test_rate_limit_paces_every_call_polling_included(
    tmp_path: Path, make_cradl_emulator: MakeEmulator
) -> None:
    emu = make_cradl_emulator(engine="stub", rate_limit=10, async_delay=0.3)
    docs = make_documents(tmp_path / "in", 4)
    with cradl_client(emu, tmp_path, rate_limit=10) as client:
        started = time.monotonic()
        outcome = client.batch(docs, model=MODEL, concurrency=8, journal=tmp_path / "j.db")
        elapsed = time.monotonic() - started
        assert client.provider.api.http.limiter is client.provider.limiter
    requests = emu.stats["total_requests"]
    assert outcome.summary["succeeded"] == 4 and requests >= 12  # inline upload, prediction, polls
    assert elapsed >= (requests - 1) / 10 - 0.05
    assert not [k for k in emu.stats["statuses"] if k.endswith(" 429")]  # never over the service's limit


def test_rate_limit_setting_from_environment_profile_and_command(tmp_path: Path) -> None:
    from core.config import resolve_settings, set_value
    from core.services import Client

    env = {"DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml")}
    assert resolve_settings("local", env=env).rate_limit is None
    assert resolve_settings("local", env={**env, "DOCRELAY_RATE_LIMIT": "2.5"}).rate_limit == 2.5
    set_value("rate_limit", "4", env=env)
    settings = resolve_settings("cradl", env=env)
    assert settings.rate_limit == 4.0 and "docrelay.toml" in settings.origins["rate_limit"]
    assert resolve_settings("cradl", overrides={"rate_limit": 7}, env=env).rate_limit == 7.0
    with Client("local", settings={"rate_limit": 3}, env=env) as client:
        assert client.provider.limiter.rate_per_second == 3.0  # type: ignore[attr-defined]
    for bad in ("fast", "0", "-1", "nan"):
        with pytest.raises(ConfigError, match="Invalid rate_limit") as refused:
            resolve_settings("local", env={**env, "DOCRELAY_RATE_LIMIT": bad})
        assert refused.value.exit_code == 3 and "requests per second" in refused.value.full_message


def test_permanent_errors_are_not_retried(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 3)
    emu.script_fault("POST /predictions", status=422, message="Unprocessable document")
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, concurrency=1, journal=journal_target)
    failed = [r for r in outcome.results if r.status == "failed"]
    assert len(failed) == 1 and failed[0].error is not None
    assert failed[0].error.type == "input_error" and "Unprocessable document" in failed[0].error.message
    assert emu.requests_to("POST /predictions") == 3  # one each, the refused one not again
    with open_journal(journal_target) as journal:
        assert journal.counts() == {"succeeded": 2, "failed": 1}


@pytest.mark.parametrize("action", ["drop_after", "drop"])
def test_a_lost_prediction_answer_is_looked_up_not_paid_twice(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str, action: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 4)
    emu.script_fault("POST /predictions", action=action, count=2)  # "drop_after": made, answer lost
    emu.script_fault("POST /documents", action="drop")  # an upload that never arrived is sent again
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, concurrency=2, journal=journal_target)
    assert outcome.summary["succeeded"] == 4
    assert sorted(predictions_by_document(emu).values()) == [1, 1, 1, 1]
    assert emu.requests_to("GET /predictions") >= 2  # looked for the two whose answer was lost
    emu.assert_no_violations()


def test_quota_stops_the_batch_and_the_next_run_finishes(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub", quota=2)
    docs = make_documents(tmp_path / "in", 4)
    with cradl_client(emu, tmp_path) as client, pytest.raises(QuotaExceededError) as stopped:
        client.batch(docs, model=MODEL, concurrency=1, journal=journal_target)
    assert stopped.value.exit_code == 7 and "quota" in stopped.value.message
    emu.set_faults(quota=None)
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, concurrency=2, journal=journal_target)
    assert outcome.summary["succeeded"] == 4
    assert sorted(predictions_by_document(emu).values()) == [1, 1, 1, 1]  # started ones were polled
    assert emu.requests_to("POST /documents") == 4  # and nothing was uploaded twice


def test_refused_credentials_stop_the_batch_untouched(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    docs = make_documents(tmp_path / "in", 3)
    with cradl_client(emu, tmp_path, access_token="forged") as client, pytest.raises(AuthError) as refused:
        client.batch(docs, model=MODEL, journal=journal_target)
    assert refused.value.exit_code == 5
    with open_journal(journal_target) as journal:
        assert journal.counts() == {"queued": 3}  # nothing half-done, nothing marked failed
    with cradl_client(emu, tmp_path) as client:
        assert client.batch(docs, model=MODEL, journal=journal_target).summary["succeeded"] == 3


def test_a_job_the_service_fails_is_reported_and_predicted_again_on_rerun(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub")
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4 not really a PDF")
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch([bad], model=MODEL, journal=journal_target)
        assert outcome.results[0].error is not None and outcome.results[0].error.type == "job_failed"
        assert outcome.results[0].prediction_id is not None
        client.batch([bad], model=MODEL, journal=journal_target)
    assert emu.requests_to("POST /predictions") == 2 and emu.requests_to("POST /documents") == 1


def test_a_timeout_keeps_the_job_and_the_rerun_polls_it(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub", async_delay=1.5)
    docs = make_documents(tmp_path / "in", 2)
    with cradl_client(emu, tmp_path) as client:
        client.polling = type(client.polling)(initial_delay=0.1, max_interval=0.2)
        late = client.batch(docs, model=MODEL, journal=journal_target, timeout=0.3)
        assert [r.error.type if r.error else None for r in late.results] == ["timeout", "timeout"]
        assert "goes on polling the same job" in (
            late.results[0].error.message if late.results[0].error else ""
        )
        done = client.batch(docs, model=MODEL, journal=journal_target, timeout=10)
    assert done.summary["succeeded"] == 2
    assert sorted(predictions_by_document(emu).values()) == [1, 1]


def test_stop_leaves_the_rest_pending_and_resumable(
    tmp_path: Path, make_cradl_emulator: MakeEmulator, journal_target: str
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=20, async_delay=0.2)
    docs = make_documents(tmp_path / "in", 10)
    with cradl_client(emu, tmp_path) as client, open_journal(journal_target) as journal:
        engine: BatchEngine

        def stop_after_two(result: Result) -> None:
            if sum(1 for r in done if r.status == "succeeded") >= 1:
                engine.stop()
            done.append(result)

        done: list[Result] = []
        engine = BatchEngine(
            client.provider,
            journal,
            polling=client.polling,
            timeout=client.settings.timeout,
            model=MODEL,
            concurrency=2,
            on_result=stop_after_two,
        )
        outcome = engine.run(docs)
    assert outcome.interrupted and outcome.summary["pending"] >= 5
    pending = [r for r in outcome.results if r.status == "pending"]
    assert all(r.extras["journal_state"] in ("queued", "uploaded", "predicting") for r in pending)
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(docs, model=MODEL, journal=journal_target)
    assert outcome.summary["succeeded"] == 10 and not outcome.interrupted
    assert sorted(predictions_by_document(emu).values()) == [1] * 10


def test_the_journal_holds_no_secret(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(engine="stub")
    token = emu.issue_token()
    with cradl_client(emu, tmp_path, access_token=token) as client:
        client.batch(make_documents(tmp_path / "in", 2), model=MODEL, journal=tmp_path / "j.db")
    import sqlite3
    import zlib

    with sqlite3.connect(tmp_path / "j.db") as db:
        rows = db.execute("SELECT * FROM documents").fetchall()
    text = repr(rows) + "".join(zlib.decompress(r[10]).decode() for r in rows if isinstance(r[10], bytes))
    assert token not in text and token[:20] not in text and "test-secret" not in text
    assert "las:prediction:" in text  # the ids and results are there


def test_options_reach_the_service(tmp_path: Path, make_cradl_emulator: MakeEmulator) -> None:
    emu = make_cradl_emulator(engine="stub")
    options = PredictOptions(extra={"async": "false"})  # the SDK's synchronous mode: no GET needed
    with cradl_client(emu, tmp_path) as client:
        outcome = client.batch(
            make_documents(tmp_path / "in", 3), model=MODEL, options=options, journal=tmp_path / "j"
        )
    assert outcome.summary["succeeded"] == 3 and emu.requests_to("GET /predictions/{predictionId}") == 0


def test_a_provider_that_answers_at_once_batches_in_one_call(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.batch import Journal
    from core.models import JobHandle
    from core.services import Client
    from tests.local_fixtures import SAMPLES

    monkeypatch.setenv("DOCRELAY_CACHE_DIR", str(tmp_path / "cache"))
    invoice = SAMPLES / "invoice.pdf"
    journal = tmp_path / "j.db"
    with Client("local", env={}) as client:
        first = client.batch([invoice], journal=journal).results[0]
        assert first.status == "succeeded" and first.prediction_id
        assert not (tmp_path / "cache").exists(), "the result goes into the journal only"
        with Journal(journal) as opened:
            entry = opened.get(first.document.sha256 or "", "local", "invoice")
            assert entry is not None and entry.state == "succeeded" and entry.job is None
            assert entry.prediction_id == first.prediction_id
            # A journal written by an earlier version: the job started, its result not yet journaled.
            earlier = JobHandle(
                provider="local",
                model="invoice",
                prediction_id=first.prediction_id,
                document=first.document,
                state={
                    "source": str(invoice),
                    "sha256": first.document.sha256,
                    "model": "invoice",
                    "pages": None,
                },
            )
            opened.update(entry, state="predicting", job=earlier.model_dump_json(), result=None)
        resumed = client.batch([invoice], journal=journal).results[0]
    assert resumed.to_dict() == first.to_dict()
