"""Smoke test of the built docrelay executable: run it the way an RPA tool does and check what it says.

    python packaging/smoke_test.py dist/docrelay/docrelay        (Windows: dist\\docrelay\\docrelay.exe)

The executable runs as a subprocess; none of docrelay's Python is imported here. Each check looks at
the exit code and the one JSON document on stdout (and the --output file where one is asked for):
the offline `local` provider (a text PDF, a scan read by the bundled OCR models, an XML
e-invoice); the Cradl emulator over HTTPS, trusted only through a throw-away CA given in
DOCRELAY_CA_BUNDLE (and refused without it, which proves the bundled certifi store is found and
used); a missing file (4); a wrong secret (5, never echoed); a job that outlives --timeout (10,
with its job handle); submit then poll; the OS credential store through keyring; a batch on a
shared PostgreSQL journal (a throw-away server, tests/pg_server.py: proves psycopg and its libpq
are bundled) and an unreachable one (9); and `docrelay-excel` beside it: a new workbook run on a
folder, a file that is not a workbook (4), and an open workbook (results go to a results workbook
beside it).
Needs the test dependencies (the emulator) and `cryptography`. Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from smoke_tls import TestPki, make_test_pki

REPO = Path(__file__).resolve().parent.parent
INVOICE = REPO / "samples" / "invoice.pdf"
EXPECTED = {"invoice_number": "INV-2026-0042", "total_amount": "1836.60"}
EINVOICE = REPO / "tests" / "einvoices" / "XRECHNUNG_Einfach.ubl.xml"
CRADL_MODEL = "las:model:invoice"
WRONG_SECRET = "not-the-secret-7f3a"  # must never appear in any output


class CheckFailed(AssertionError):
    pass


@dataclass
class Run:
    argv: list[str]
    exit_code: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def document(self) -> dict[str, Any]:
        lines = [line for line in self.stdout.splitlines() if line.strip()]
        expect(len(lines) == 1, f"expected one JSON document on stdout, got {len(lines)} lines")
        document: dict[str, Any] = json.loads(lines[0])
        return document

    def describe(self) -> str:
        return f"$ {' '.join(self.argv)}\nexit {self.exit_code}\nstdout: {self.stdout}\nstderr: {self.stderr}"


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise CheckFailed(message)


class Smoke:
    def __init__(self, binary: Path, work: Path) -> None:
        self.binary = binary
        self.work = work
        self.base_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DOCRELAY_", "LAS_", "CRADL_", "PYTHON"))
            and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
        }
        self.base_env.update(
            DOCRELAY_CONFIG_FILE=str(work / "config" / "docrelay.toml"),
            DOCRELAY_CACHE_DIR=str(work / "cache"),
            DOCRELAY_LOG_DIR=str(work / "logs"),
        )
        self.cradl_env: dict[str, str] = {}
        self.last: Run | None = None

    def run(self, *args: str, env: dict[str, str] | None = None, stdin: str | None = None) -> Run:
        argv = [str(self.binary), *args]
        started = time.perf_counter()
        done = subprocess.run(
            argv,
            env={**self.base_env, **(env or {})},
            input=(stdin or "").encode("utf-8"),
            capture_output=True,
            timeout=180,
            cwd=self.work,
        )
        self.last = Run(
            argv,
            done.returncode,
            done.stdout.decode("utf-8", "replace"),
            done.stderr.decode("utf-8", "replace"),
            time.perf_counter() - started,
        )
        return self.last

    def envelope(self, run: Run, *, exit_code: int, command: str, error_type: str | None = None) -> Any:
        """The checked document's `data` (success) or `error` (failure)."""
        document = run.document
        expect(run.exit_code == exit_code, f"exit code {run.exit_code}, expected {exit_code}")
        expect(
            document.get("command") == command, f"command {document.get('command')!r}, expected {command!r}"
        )
        expect(bool(document.get("meta", {}).get("version")), "meta.version missing")
        expect(run.stdout.isascii(), "stdout is not ASCII-escaped JSON")
        if error_type is None:
            expect(document.get("ok") is True, "ok is not true")
            return document["data"]
        expect(document.get("ok") is False, "ok is not false")
        error: dict[str, Any] = document["error"]
        expect(error.get("type") == error_type, f"error.type {error.get('type')!r}, expected {error_type!r}")
        expect(error.get("exit_code") == exit_code, "error.exit_code differs from the process exit code")
        expect(bool(error.get("message")), "error.message is empty")
        return error


def check_fields(result: dict[str, Any]) -> None:
    expect(result.get("schema") == "docrelay.result/1", f"schema {result.get('schema')!r}")
    expect(result.get("status") == "succeeded", f"status {result.get('status')!r}")
    for name, value in EXPECTED.items():
        found = result.get("fields", {}).get(name, {}).get("value")
        expect(found == value, f"{name} is {found!r}, expected {value!r}")


class CradlEmulator:
    """`python -m tests.emulators cradl` over HTTPS, in its own process."""

    def __init__(self, pki: TestPki) -> None:
        command = [sys.executable, "-m", "tests.emulators", "cradl", "--seed", "1", "--async-delay", "0.3"]
        command += ["--tls-cert", str(pki.server_cert), "--tls-key", str(pki.server_key)]
        self.process = subprocess.Popen(
            command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(lines,), daemon=True).start()
        try:
            ready, token = lines.get(timeout=90).split(), lines.get(timeout=30).split()
        except queue.Empty:
            self.stop()
            raise RuntimeError("the Cradl emulator did not print READY in time") from None
        if ready[0] != "READY" or not ready[1].startswith("https://"):
            self.stop()
            raise RuntimeError(f"unexpected emulator output: {ready}")
        self.api_url, self.token_url = ready[1], token[1]
        self.root_url = self.api_url.rsplit("/v1", 1)[0]
        self.context = ssl.create_default_context(cafile=str(pki.ca_cert))

    def _read(self, lines: queue.Queue[str]) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            lines.put(line)

    def set_faults(self, **faults: Any) -> None:
        self.control("faults", faults)

    def human_review(self, action: str = "approve", **fields: str) -> None:
        """The emulator's scripted reviewer finishes the oldest waiting review."""
        self.control("review", {"action": action, "fields": fields})

    def control(self, what: str, body: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.root_url}/_emulator/{what}",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, context=self.context, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# -- the checks -----------------------------------------------------------------------------------
def check_version(s: Smoke) -> None:
    data = s.envelope(s.run("--version"), exit_code=0, command="version")
    expect(bool(data.get("version")), "no version in data")


def check_local_extract_non_ascii(s: Smoke) -> None:
    folder = s.work / "Fakturaer på vent"
    folder.mkdir(exist_ok=True)
    document = folder / "Faktura Ærø nr 7 – 東京.pdf"
    shutil.copy(INVOICE, document)
    output = folder / "résultat.json"
    run = s.run("extract", str(document), "--provider", "local", "--output", str(output))
    result = s.envelope(run, exit_code=0, command="extract")
    check_fields(result)
    expect(result["document"]["name"] == document.name, "the non-ASCII file name did not survive")
    expect(json.loads(output.read_text(encoding="utf-8")) == run.document, "--output differs from stdout")


def check_local_ocr_of_a_scan(s: Smoke) -> None:
    """The sample invoice as a 200 dpi greyscale scan turned by 2 degrees, saved as TIFF: read by the
    bundled OCR engine and its bundled models (nothing is downloaded)."""
    import pypdfium2 as pdfium
    from PIL import Image

    document = pdfium.PdfDocument(str(INVOICE))
    try:
        page = document[0].render(scale=200 / 72, grayscale=True).to_pil().convert("L")
    finally:
        document.close()
    scan = s.work / "scanned invoice.tif"
    page.rotate(2, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255).save(scan, dpi=(200, 200))
    run = s.run("extract", str(scan), "--provider", "local")
    result = s.envelope(run, exit_code=0, command="extract")
    check_fields(result)
    expect(result.get("extras", {}).get("read_from") == "ocr", f"extras {result.get('extras')}")


def check_local_einvoice_xml(s: Smoke) -> None:
    run = s.run("extract", str(EINVOICE), "--provider", "local")
    result = s.envelope(run, exit_code=0, command="extract")
    total = result.get("fields", {}).get("total_amount", {})
    expect(total.get("value") == "529.87" and total.get("confidence") == 1.0, f"total_amount {total}")
    expect(result.get("extras", {}).get("read_from") == "e-invoice", f"extras {result.get('extras')}")


def check_args_file(s: Smoke) -> None:
    output = s.work / "from-args-file.json"
    args = {"command": "extract", "files": [str(INVOICE)], "provider": "local", "output": str(output)}
    args_file = s.work / "args.json"
    args_file.write_text(json.dumps(args), encoding="utf-8")
    run = s.run("--args-file", str(args_file))
    check_fields(s.envelope(run, exit_code=0, command="extract"))
    expect(output.is_file(), "--output named in the arguments file was not written")


def check_batch_folder(s: Smoke) -> None:
    folder = s.work / "batch-in"
    folder.mkdir(exist_ok=True)
    for name in ("a.pdf", "b.pdf"):
        shutil.copy(INVOICE, folder / name)
    run = s.run("batch", str(folder), "--provider", "local", "--journal", str(s.work / "journal"), "--quiet")
    data = s.envelope(run, exit_code=0, command="batch")
    summary = data.get("summary", {})
    expect(summary.get("total") == 2 and summary.get("failed") == 0, f"summary {summary}")


def check_shared_journal(s: Smoke) -> None:
    sys.path.insert(0, str(REPO))
    from tests.pg_server import PostgresServer

    folder = s.work / "shared-in"
    folder.mkdir(exist_ok=True)
    for name in ("a.pdf", "b.pdf"):
        shutil.copy(INVOICE, folder / name)
    with PostgresServer() as server:
        url = server.url(server.create_database())
        run = s.run("batch", str(folder), "--provider", "local", "--journal", url, "--quiet")
        data = s.envelope(run, exit_code=0, command="batch")
        expect(data.get("summary", {}).get("total") == 2, f"summary {data.get('summary')}")
        expect(server.password not in run.stdout + run.stderr, "the journal password was shown")
        expect(
            data.get("journal", "").startswith("postgresql://docrelay:***@"), f"journal {data.get('journal')}"
        )
    closed = "postgresql://robot:smoke-pw@127.0.0.1:9/intake?connect_timeout=2"
    run = s.run("batch", str(folder), "--provider", "local", "--journal", closed, "--quiet")
    error = s.envelope(run, exit_code=9, command="batch", error_type="network_error")
    expect("smoke-pw" not in run.stdout + run.stderr, "the journal password was shown")
    expect("journal" in error["message"], f"message {error['message']}")


def check_input_error(s: Smoke) -> None:
    run = s.run("extract", str(s.work / "missing.pdf"), "--provider", "local")
    error = s.envelope(run, exit_code=4, command="extract", error_type="input_error")
    expect("missing.pdf" in error["message"], "the message does not name the missing file")


def check_usage_error(s: Smoke) -> None:
    s.envelope(
        s.run("extract", "--no-such-option"), exit_code=2, command="docrelay", error_type="usage_error"
    )


def check_cradl_https(s: Smoke) -> None:
    run = s.run("extract", str(INVOICE), "--provider", "cradl", "--model", CRADL_MODEL, env=s.cradl_env)
    result = s.envelope(run, exit_code=0, command="extract")
    check_fields(result)
    expect(result.get("provider") == "cradl", "provider is not cradl")


def check_cradl_untrusted_certificate(s: Smoke) -> None:
    env = {k: v for k, v in s.cradl_env.items() if k != "DOCRELAY_CA_BUNDLE"}
    run = s.run("extract", str(INVOICE), "--provider", "cradl", "--model", CRADL_MODEL, env=env)
    error = s.envelope(run, exit_code=9, command="extract", error_type="network_error")
    # A certificate refused by the bundled store, not a missing store (pitfall: frozen apps lose certifi).
    expect("could not be verified" in error["message"], f"unexpected TLS message: {error['message']}")


def check_cradl_wrong_secret(s: Smoke) -> None:
    env = {**s.cradl_env, "DOCRELAY_CRADL_CLIENT_SECRET": WRONG_SECRET}
    run = s.run("extract", str(INVOICE), "--provider", "cradl", "--model", CRADL_MODEL, env=env)
    s.envelope(run, exit_code=5, command="extract", error_type="auth_error")
    expect(WRONG_SECRET not in run.stdout + run.stderr, "the secret appears in the output")


def check_cradl_submit_then_poll(s: Smoke) -> None:
    run = s.run("submit", str(INVOICE), "--provider", "cradl", "--model", CRADL_MODEL, env=s.cradl_env)
    job = s.envelope(run, exit_code=0, command="submit").get("job", "")
    expect(job.startswith("drjob1."), f"job handle {job!r}")
    run = s.run("result", job, "--wait", "--provider", "cradl", "--timeout", "60", env=s.cradl_env)
    check_fields(s.envelope(run, exit_code=0, command="result"))


def check_cradl_timeout(s: Smoke, emulator: CradlEmulator) -> None:
    emulator.set_faults(async_delay=60)
    try:
        args = ("extract", str(INVOICE), "--provider", "cradl", "--model", CRADL_MODEL, "--timeout", "2")
        run = s.run(*args, env=s.cradl_env)
        error = s.envelope(run, exit_code=10, command="extract", error_type="timeout")
        expect(str(error.get("job", "")).startswith("drjob1."), "no job handle in error.job")
        run = s.run("status", error["job"], "--provider", "cradl", env=s.cradl_env)
        status = s.envelope(run, exit_code=0, command="status")
        expect(status.get("status") == "pending", f"status {status.get('status')!r}, expected pending")
    finally:
        emulator.set_faults(async_delay=0.3)


def check_credential_store(s: Smoke) -> None:
    """set-secret through keyring: Windows keeps it in Credential Manager; elsewhere the null store."""
    args = ("config", "set-secret", "client_secret", "--provider", "cradl", "--profile", "smoke", "--stdin")
    if os.name != "nt":  # never write into a developer's real keyring: prove the refusal path instead
        run = s.run(*args, env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}, stdin="x\n")
        error = s.envelope(run, exit_code=3, command="config set-secret", error_type="config_error")
        expect("credential store" in error["message"], f"unexpected message: {error['message']}")
        return
    secret = s.cradl_env["DOCRELAY_CRADL_CLIENT_SECRET"]
    run = s.run(*args, stdin=secret + "\n")
    s.envelope(run, exit_code=0, command="config set-secret")
    env = {k: v for k, v in s.cradl_env.items() if k != "DOCRELAY_CRADL_CLIENT_SECRET"}
    run = s.run(
        "extract", str(INVOICE), "--provider", "cradl", "--profile", "smoke", "--model", CRADL_MODEL, env=env
    )
    check_fields(s.envelope(run, exit_code=0, command="extract"))


# -- docrelay-excel, beside docrelay in the same folder -------------------------------------------
def excel_run(s: Smoke, *args: str) -> Run:
    name = "docrelay-excel.exe" if os.name == "nt" else "docrelay-excel"
    excel = s.binary.with_name(name)
    expect(excel.is_file(), f"no {name} beside {s.binary.name}")
    saved, s.binary = s.binary, excel
    try:
        return s.run(*args)
    finally:
        s.binary = saved


def check_excel_new_and_run(s: Smoke) -> None:
    folder = s.work / "Excel desk"
    (folder / "invoices").mkdir(parents=True, exist_ok=True)
    shutil.copy(INVOICE, folder / "invoices" / "invoice.pdf")
    book = folder / "Invoices.xlsx"
    s.envelope(excel_run(s, "new", str(book), "--folder", "invoices"), exit_code=0, command="new")
    run = excel_run(s, "run", str(book), "--journal", str(s.work / "excel-journal"))
    data = s.envelope(run, exit_code=0, command="run")
    expect(data.get("summary", {}).get("succeeded") == 1, f"summary {data.get('summary')}")
    expect(data.get("workbook_updated") is True, "the workbook was not updated")
    expect("Written to" in run.stderr, "no human summary on stderr")
    with zipfile.ZipFile(book) as package:
        sheet = package.read("xl/worksheets/sheet1.xml").decode("utf-8")
    expect("INV-2026-0042" in sheet or "INV-2026-0042" in _shared_strings(book), "invoice number not written")


def _shared_strings(book: Path) -> str:
    with zipfile.ZipFile(book) as package:
        names = package.namelist()
        return package.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in names else ""


def check_excel_not_a_workbook(s: Smoke) -> None:
    fake = s.work / "export.xlsx"
    fake.write_text("source,status\na.pdf,done\n", encoding="utf-8")
    run = excel_run(s, "run", str(fake))
    error = s.envelope(run, exit_code=4, command="run", error_type="input_error")
    expect("not an Excel workbook" in error["message"], f"unexpected message: {error['message']}")


def check_excel_open_workbook(s: Smoke) -> None:
    folder = s.work / "Excel desk"
    book = folder / "Invoices.xlsx"
    (folder / "~$Invoices.xlsx").write_bytes(b"owner")
    (folder / "~$voices.xlsx").write_bytes(b"owner")
    shutil.copy(INVOICE, folder / "invoices" / "again.pdf")
    try:
        run = excel_run(s, "run", str(book), "--journal", str(s.work / "excel-journal"))
    finally:
        (folder / "~$Invoices.xlsx").unlink()
        (folder / "~$voices.xlsx").unlink()
    data = s.envelope(run, exit_code=0, command="run")
    expect(data.get("workbook_updated") is False, "an open workbook was rewritten")
    expect(Path(data.get("written_to", "")).is_file(), "no results workbook beside it")


def check_excel_serve(s: Smoke) -> None:
    """The Office add-in's bridge from the built binary: HTTPS with its own CA, health, the pane's files."""
    name = "docrelay-excel.exe" if os.name == "nt" else "docrelay-excel"
    home = s.work / "bridge-home"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**s.base_env, "DOCRELAY_BRIDGE_HOME": str(home)}
    command = [str(s.binary.with_name(name)), "serve", "--port", str(port), "--provider", "local"]
    command += ["--journal", str(s.work / "bridge-journal.sqlite3")]
    flags = subprocess.CREATE_NEW_PROCESS_GROUP if os.name == "nt" else 0  # type: ignore[attr-defined]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, creationflags=flags
    )
    try:
        deadline = time.monotonic() + 60
        answer: dict[str, Any] | None = None
        while answer is None:
            if process.poll() is not None:
                raise CheckFailed(f"the bridge stopped: {process.communicate()[1][-2000:]}")
            expect(time.monotonic() < deadline, "the bridge did not answer within 60 s")
            if (home / "ca.crt").is_file() and (home / "bridge.json").is_file():
                token = json.loads((home / "bridge.json").read_text(encoding="utf-8"))["token"]
                context = ssl.create_default_context(cafile=str(home / "ca.crt"))
                request = urllib.request.Request(
                    f"https://localhost:{port}/api/health", headers={"X-DocRelay-Token": token}
                )
                try:
                    with urllib.request.urlopen(request, context=context, timeout=10) as response:
                        answer = json.loads(response.read())
                except OSError:
                    time.sleep(0.2)
            else:
                time.sleep(0.2)
        expect(answer.get("status") == "ok" and answer.get("provider") == "local", f"health {answer}")
        for path in ("/taskpane.html", "/assets/applier.js", "/functions.json", "/manifest.xml"):
            with urllib.request.urlopen(
                f"https://localhost:{port}{path}", context=context, timeout=10
            ) as got:
                expect(got.status == 200, f"{path}: {got.status}")
    finally:
        process.send_signal(signal.CTRL_BREAK_EVENT if os.name == "nt" else signal.SIGINT)  # type: ignore[attr-defined]
        try:
            _, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, err = process.communicate()
    expect(process.returncode == 0, f"the bridge ended with {process.returncode}: {err[-2000:]}")
    expect("Traceback" not in err, err[-2000:])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("binary", type=Path, help="the built docrelay executable")
    args = parser.parse_args(argv)
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no executable at {binary}: build it first (python packaging/build.py)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="docrelay-smoke-") as tmp:
        smoke = Smoke(binary, Path(tmp))
        pki = make_test_pki(Path(tmp) / "pki")
        emulator = CradlEmulator(pki)
        try:
            smoke.cradl_env = {
                "DOCRELAY_CRADL_API_URL": emulator.api_url,
                "DOCRELAY_CRADL_AUTH_URL": emulator.token_url,
                "DOCRELAY_CRADL_CLIENT_ID": "test-client",
                "DOCRELAY_CRADL_CLIENT_SECRET": "test-secret",
                "DOCRELAY_CA_BUNDLE": str(pki.ca_cert),
            }
            checks: list[tuple[str, Callable[[], None]]] = [
                ("--version", lambda: check_version(smoke)),
                ("local extract, non-ASCII path, --output", lambda: check_local_extract_non_ascii(smoke)),
                ("local OCR of a scanned TIFF (bundled models)", lambda: check_local_ocr_of_a_scan(smoke)),
                ("local e-invoice XML, exact values", lambda: check_local_einvoice_xml(smoke)),
                ("--args-file", lambda: check_args_file(smoke)),
                ("batch of a folder with a journal", lambda: check_batch_folder(smoke)),
                (
                    "batch on a shared PostgreSQL journal; unreachable -> 9",
                    lambda: check_shared_journal(smoke),
                ),
                ("input error: missing file -> 4", lambda: check_input_error(smoke)),
                ("usage error: unknown option -> 2", lambda: check_usage_error(smoke)),
                ("cradl over HTTPS with DOCRELAY_CA_BUNDLE", lambda: check_cradl_https(smoke)),
                ("cradl: untrusted certificate -> 9", lambda: check_cradl_untrusted_certificate(smoke)),
                ("cradl: wrong secret -> 5, not echoed", lambda: check_cradl_wrong_secret(smoke)),
                ("cradl: submit, then result --wait", lambda: check_cradl_submit_then_poll(smoke)),
                ("cradl: timeout -> 10 with job handle", lambda: check_cradl_timeout(smoke, emulator)),
                ("credential store (keyring)", lambda: check_credential_store(smoke)),
                ("docrelay-excel: new, then run a folder", lambda: check_excel_new_and_run(smoke)),
                ("docrelay-excel: not a workbook -> 4", lambda: check_excel_not_a_workbook(smoke)),
                ("docrelay-excel: open workbook -> results file", lambda: check_excel_open_workbook(smoke)),
                ("docrelay-excel serve: HTTPS health, pane files", lambda: check_excel_serve(smoke)),
            ]
            return run_checks(smoke, checks)
        finally:
            emulator.stop()


def run_checks(smoke: Smoke, checks: list[tuple[str, Callable[[], None]]]) -> int:
    failures = 0
    started = time.perf_counter()
    for name, check in checks:
        smoke.last = None
        try:
            check()
        except (CheckFailed, KeyError, TypeError, ValueError, OSError, subprocess.SubprocessError) as exc:
            failures += 1
            print(f"FAIL  {name}: {type(exc).__name__}: {exc}", flush=True)
            if smoke.last is not None:
                print("      " + smoke.last.describe().replace("\n", "\n      "), flush=True)
        else:
            took = f" ({smoke.last.seconds:.2f} s last run)" if smoke.last else ""
            print(f"ok    {name}{took}", flush=True)
    total = time.perf_counter() - started
    print(f"{len(checks) - failures} of {len(checks)} checks passed in {total:.1f} s ({smoke.binary})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
