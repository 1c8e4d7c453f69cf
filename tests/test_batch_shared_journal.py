"""The shared journal on a real PostgreSQL server: leases, takeover after SIGKILL, fenced writes, robots
starting together, secrets, and `docrelay batch` processes sharing one intake."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import psycopg
import pytest

from core.batch import open_journal
from core.batch.pg_journal import LeaseLost, PostgresJournal
from core.config import resolve_settings
from core.errors import ConfigError, JournalUnavailableError, UsageError
from tests.batch_support import MODEL, make_documents, predictions_by_document, uploads_by_document
from tests.cli_helpers import REPO, docrelay_executable, emulator_env, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator
from tests.pg_server import PostgresServer

A, B = "a" * 64, "b" * 64
HOLD = """
import sys, time
from core.batch.pg_journal import PostgresJournal
journal = PostgresJournal(sys.argv[1], lease=float(sys.argv[2]))
entry = journal.claim(journal.ensure("a" * 64, "cradl", "m", None, "a.pdf"))
print("claimed" if entry else "held", flush=True)
time.sleep(600)
"""


def test_a_killed_holder_is_taken_over_after_its_lease(postgres_url: str) -> None:
    lease = 2.0
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, postgres_url, str(lease)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "claimed"
        with PostgresJournal(postgres_url, lease=lease) as journal:
            entry = journal.get(A, "cradl", "m")
            assert entry is not None
            time.sleep(lease * 1.5)  # the holder's heartbeat keeps its lease alive
            assert journal.claim(entry) is None
            holder.send_signal(signal.SIGKILL)
            killed = time.monotonic()
            while journal.orphans("cradl", "m") != {A}:  # left leased by a dead process
                assert time.monotonic() - killed < lease + 5, "not free within the lease + 5 s"
                time.sleep(0.1)
            assert journal.claim(entry) is not None and journal.orphans("cradl", "m") == set()
            assert time.monotonic() - killed >= lease * 0.5  # not before the lease could have run out
    finally:
        holder.kill()
        holder.wait()


def test_a_write_after_the_lease_was_taken_over_is_refused(postgres_url: str) -> None:
    with PostgresJournal(postgres_url, lease=2) as stalled, PostgresJournal(postgres_url, lease=2) as other:
        entry = stalled.claim(stalled.ensure(A, "cradl", "m", None, "a.pdf"))
        assert entry is not None
        with psycopg.connect(postgres_url, autocommit=True) as db:  # as if `stalled` froze past its lease
            db.execute("UPDATE docrelay_documents SET lease_until = 0")
        taken = other.claim(entry)
        assert taken is not None
        with pytest.raises(LeaseLost):
            stalled.update(entry, state="predicting", predictions=1)  # must not pay for a second prediction
        assert stalled.watch([entry]) == ([], [])  # held by a live lease: neither settled nor free
        other.update(taken, state="succeeded", result={"status": "succeeded"})
        assert [e.sha256 for e in stalled.watch([entry])[0]] == [A]
        assert (stalled.settled(entry) or pytest.fail()).result == {"status": "succeeded"}


def test_robots_starting_together_create_the_schema_once(postgres_url: str) -> None:
    errors: list[BaseException] = []
    journals: list[PostgresJournal] = []
    gate = threading.Barrier(8)

    def start() -> None:
        try:
            gate.wait()
            journals.append(PostgresJournal(postgres_url))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for journal in journals:
        journal.close()
    assert errors == [] and len(journals) == 8
    with psycopg.connect(postgres_url) as db:
        assert db.execute("SELECT id, version FROM docrelay_schema").fetchall() == [(1, 1)]


def test_each_document_is_claimed_by_exactly_one_of_many(postgres_url: str) -> None:
    shas = [f"{n:064x}" for n in range(60)]
    with open_journal(postgres_url) as setup:
        entries = [setup.ensure(sha, "cradl", "m", None, f"{n}.pdf") for n, sha in enumerate(shas)]
    won: Counter[str] = Counter()
    lock = threading.Lock()

    def robot() -> None:
        with PostgresJournal(postgres_url) as journal:
            for entry in entries:
                if journal.claim(entry) is not None:
                    with lock:
                        won[entry.sha256] += 1
            time.sleep(0.5)  # keep the leases while the others try

    threads = [threading.Thread(target=robot) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(won) == sorted(shas) and set(won.values()) == {1}


def test_an_unreachable_or_refusing_database_says_so_without_the_password(
    postgres_server: PostgresServer,
) -> None:
    password = postgres_server.password
    closed = f"postgresql://docrelay:{password}@127.0.0.1:9/journal?connect_timeout=2"
    with pytest.raises(JournalUnavailableError) as unreachable:
        open_journal(closed)
    assert unreachable.value.exit_code == 9 and password not in unreachable.value.full_message
    assert "postgresql://docrelay:***@127.0.0.1:9/journal" in unreachable.value.message
    wrong = postgres_server.url().replace(password, "not-the-password")
    with pytest.raises(ConfigError, match="refused the login") as refused:
        open_journal(wrong)
    assert refused.value.exit_code == 3 and "not-the-password" not in refused.value.full_message
    assert "journal_password" in refused.value.full_message
    for malformed in (f"postgresql://robot:{password}@127.0.0.1:9/x?sslmode=bogus", "postgres://[::1:5432/x"):
        with pytest.raises(UsageError, match="not a valid PostgreSQL connection string") as bad:
            open_journal(malformed)
        assert bad.value.exit_code == 2 and password not in bad.value.full_message


def test_the_password_from_a_setting_or_the_keyring(
    postgres_server: PostgresServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    from tests.keyring_backend import FileKeyring

    url = postgres_server.url(postgres_server.create_database(), with_password=False)
    env = {"DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml"), "DOCRELAY_JOURNAL": url}
    settings = resolve_settings("local", env={**env, "DOCRELAY_JOURNAL_PASSWORD": postgres_server.password})
    assert settings.journal == url and settings.journal_password == postgres_server.password
    assert postgres_server.password not in repr(settings) + json.dumps(settings.shown())
    with open_journal(settings.journal, password=settings.journal_password) as journal:
        assert journal.counts() == {}

    monkeypatch.setenv("DOCRELAY_TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    keyring.set_keyring(FileKeyring())
    try:
        keyring.set_password("docrelay", "default/journal_password", postgres_server.password)
        (tmp_path / "docrelay.toml").write_text(
            '[profiles.default]\njournal_password = "keyring:docrelay/default/journal_password"\n'
            "journal_lease = 12\n"
        )
        settings = resolve_settings("local", env=env)
    finally:
        keyring.set_keyring(previous)
    assert settings.journal_password == postgres_server.password and settings.journal_lease == 12
    assert "keyring:docrelay/default/journal_password" in settings.origins["journal_password"]
    with open_journal(settings.journal, password=settings.journal_password, lease=12) as journal:
        assert journal.counts() == {}


# -- docrelay batch processes sharing one intake -------------------------------------------------
def _batch(emu: CradlEmulator, tmp_path: Path, folder: Path, url: str, *extra: str) -> subprocess.Popen[str]:
    env = emulator_env(tmp_path, emu, DOCRELAY_JOURNAL=url, DOCRELAY_JOURNAL_LEASE="2")
    return subprocess.Popen(
        [
            docrelay_executable(),
            "batch",
            str(folder),
            "--model",
            MODEL,
            "--concurrency",
            "4",
            "--quiet",
            *extra,
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
    )


def _finish(proc: subprocess.Popen[str]) -> tuple[dict[str, Any], str]:
    stdout, stderr = proc.communicate(timeout=120)
    assert "Traceback" not in stderr, stderr
    document: dict[str, Any] = json.loads(stdout)
    return document, stderr


def test_robots_share_one_intake_and_pay_once(
    tmp_path: Path, make_cradl_emulator: Any, postgres_url: str, postgres_server: PostgresServer
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=20)
    docs = make_documents(tmp_path / "in", 24)
    robots = [_batch(emu, tmp_path, tmp_path / "in", postgres_url, "--verbose") for _ in range(3)]
    outputs = [_finish(robot) for robot in robots]
    for document, stderr in outputs:
        assert document["ok"] is True, document
        assert document["data"]["summary"] == {"total": 24, "succeeded": 24, "failed": 0, "pending": 0}
        assert document["data"]["journal"].startswith("postgresql://docrelay:***@127.0.0.1:")
        assert postgres_server.password not in json.dumps(document) + stderr
    made_here = [24 - d["data"]["from_journal"] for d, _ in outputs]
    assert sum(made_here) == 24 and max(made_here) < 24  # the work was shared: each document once
    assert sorted(predictions_by_document(emu).values()) == [1] * len(docs)
    assert sorted(uploads_by_document(emu).values()) == [1] * len(docs)
    emu.assert_no_violations()


def test_a_robot_killed_mid_batch_is_taken_over(
    tmp_path: Path, make_cradl_emulator: Any, postgres_url: str
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=30, async_delay=0.5)
    docs = make_documents(tmp_path / "in", 30)
    doomed = _batch(emu, tmp_path, tmp_path / "in", postgres_url)
    deadline = time.monotonic() + 30
    while emu.requests_to("POST /predictions") < 5:  # killed with predictions under way
        assert time.monotonic() < deadline and doomed.poll() is None
        time.sleep(0.02)
    doomed.send_signal(signal.SIGKILL)
    doomed.communicate()
    survivor = _batch(emu, tmp_path, tmp_path / "in", postgres_url)
    document, _ = _finish(survivor)
    assert document["data"]["summary"]["succeeded"] == 30, document
    assert sorted(predictions_by_document(emu).values()) == [1] * len(docs)
    assert max(uploads_by_document(emu).values()) <= 2


def test_an_unreachable_journal_database_is_exit_9(tmp_path: Path, make_cradl_emulator: Any) -> None:
    emu = make_cradl_emulator(engine="stub")
    make_documents(tmp_path / "in", 2)
    url = "postgresql://robot:hunter2-journal@127.0.0.1:9/intake?connect_timeout=2"
    run = run_docrelay(
        "batch", str(tmp_path / "in"), "--model", MODEL, "--journal", url, env=emulator_env(tmp_path, emu)
    )
    assert run.exit_code == 9 and run.error["type"] == "network_error"
    assert "postgresql://robot:***@127.0.0.1:9/intake" in run.error["message"]
    assert "hunter2-journal" not in run.stdout + run.stderr
    assert emu.requests_to("POST /documents") == 0  # nothing sent without a journal


def test_journal_settings_through_the_cli_never_show_the_password(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    refused = run_docrelay(
        "config", "set", "journal", "postgresql://robot:in-the-url-pw@db:5432/intake", env=env
    )
    assert refused.exit_code == 3 and "set-secret journal_password" in refused.error["message"]
    assert "in-the-url-pw" not in refused.stdout + refused.stderr
    assert (
        run_docrelay("config", "set", "journal", "postgresql://robot@db:5432/intake", env=env).exit_code == 0
    )
    assert run_docrelay("config", "set", "journal_lease", "45", env=env).exit_code == 0
    stored = run_docrelay(
        "config", "set-secret", "journal_password", "--stdin", env=env, stdin="kept-in-keyring\n"
    )
    assert stored.exit_code == 0, stored.stdout
    text = (tmp_path / "config" / "docrelay.toml").read_text(encoding="utf-8")
    assert "kept-in-keyring" not in text and 'journal_password = "keyring:docrelay/' in text
    shown = run_docrelay("config", "show", env=env)
    data = shown.document["data"]
    assert data["journal"] == "postgresql://robot@db:5432/intake" and data["journal_lease"] == 45
    assert data["journal_password"] == "***" and "kept-in-keyring" not in shown.stdout + shown.stderr
    env["DOCRELAY_JOURNAL"] = "postgresql://robot:from-the-env-pw@db:5432/intake"
    shown = run_docrelay("config", "show", env=env)
    assert shown.document["data"]["journal"] == "postgresql://robot:***@db:5432/intake"
    assert "from-the-env-pw" not in shown.stdout + shown.stderr


def test_the_database_going_away_mid_batch_stops_it_with_exit_9_and_nothing_paid_twice(
    tmp_path: Path, make_cradl_emulator: Any
) -> None:
    emu = make_cradl_emulator(engine="stub", latency_ms=40, async_delay=0.5)
    docs = make_documents(tmp_path / "in", 20)
    with PostgresServer() as own:  # its own server: this test takes it away
        url = own.url(own.create_database())
        robot = _batch(emu, tmp_path, tmp_path / "in", url)
        deadline = time.monotonic() + 30
        while emu.requests_to("POST /predictions") < 4:
            assert time.monotonic() < deadline and robot.poll() is None
            time.sleep(0.02)
        own.pause()
        document, stderr = _finish(robot)
        assert robot.returncode == 9 and document["error"]["type"] == "network_error", document
        assert "journal" in document["error"]["message"] and own.password not in json.dumps(document) + stderr
        assert "nothing is paid twice" in document["error"]["message"]
        own.resume()
        again, _ = _finish(_batch(emu, tmp_path, tmp_path / "in", url))
    assert again["data"]["summary"]["succeeded"] == 20, again
    assert sorted(predictions_by_document(emu).values()) == [1] * len(docs)


def test_a_batch_that_lost_its_leases_hands_over_and_finishes_what_comes_back(
    tmp_path: Path, make_cradl_emulator: Any, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """As if this process stalled past its lease: another one claims its documents; its next writes are
    refused (no call made for them), it waits, and takes them back once the other lets go."""
    from core.batch import BatchEngine
    from core.models import Result
    from tests.batch_support import cradl_client

    emu = make_cradl_emulator(engine="stub", latency_ms=30, async_delay=0.3)
    docs = make_documents(tmp_path / "in", 12)
    other = PostgresJournal(postgres_url, lease=30)
    taken: list[str] = []

    def steal_once(result: Result) -> None:
        if taken:
            return
        with psycopg.connect(postgres_url, autocommit=True) as db:
            db.execute("UPDATE docrelay_documents SET lease_until = 0 WHERE owner IS NOT NULL")
        for sha, entry in ((e.sha256, e) for e in _rows(postgres_url)):
            if other.claim(entry) is not None:
                taken.append(sha)
        threading.Timer(1.5, other.close).start()  # the other process lets go (or dies) later

    with cradl_client(emu, tmp_path) as client, PostgresJournal(postgres_url, lease=30) as journal:
        engine = BatchEngine(
            client.provider,
            journal,
            polling=client.polling,
            timeout=client.settings.timeout,
            model=MODEL,
            concurrency=3,
            on_result=steal_once,
        )
        outcome = engine.run(docs)
    assert outcome.summary["succeeded"] == 12 and taken, outcome.summary
    assert sorted(predictions_by_document(emu).values()) == [1] * 12
    assert "another process has taken it over" in caplog.text


def _rows(url: str) -> list[Any]:
    from core.batch.journal import Entry

    with psycopg.connect(url) as db:
        rows = db.execute(
            "SELECT sha256, provider, model, state FROM docrelay_documents "
            "WHERE state NOT IN ('succeeded', 'failed')"
        ).fetchall()
    return [Entry(sha256=s, provider=p, model=m, state=st) for s, p, m, st in rows]


def test_tls_to_the_server_through_sslmode(tmp_path: Path) -> None:
    from tests.packaging_helpers import load

    smoke_tls = load("smoke_tls")
    pki = smoke_tls.make_test_pki(tmp_path / "pki")
    stranger = smoke_tls.make_test_pki(tmp_path / "other-pki")  # a CA that did not sign the server's
    with PostgresServer(tls=(pki.server_cert, pki.server_key)) as server:
        url = server.url(server.create_database())
        trusted = f"{url}?sslmode=verify-full&sslrootcert={pki.ca_cert}"
        with open_journal(trusted) as journal, psycopg.connect(trusted) as db:
            assert journal.counts() == {}
            assert db.execute("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone() == (
                True,
            )
        with pytest.raises(JournalUnavailableError) as refused:
            open_journal(f"{url}?sslmode=verify-full&sslrootcert={stranger.ca_cert}")
        assert refused.value.exit_code == 9 and "certificate" in refused.value.message
        assert server.password not in refused.value.full_message


def test_without_psycopg_a_postgresql_journal_is_a_configuration_error() -> None:
    code = (
        "import sys; sys.modules['psycopg'] = None\n"  # as in a build that lacks it
        "from core.batch import open_journal\n"
        "from core.errors import ConfigError\n"
        "try:\n"
        "    open_journal('postgresql://robot:pw-xyz1@127.0.0.1:9/intake')\n"
        "except ConfigError as exc:\n"
        "    print(exc.exit_code, exc.full_message)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert run.stdout.startswith("3 This docrelay cannot use a PostgreSQL journal"), run.stdout + run.stderr
    assert "pw-xyz1" not in run.stdout and "give --journal a file" in run.stdout
