"""End-to-end check of the RPA kit against a docrelay executable, the way the UiPath workflows and the PAD
secrets snippet use it:

    python packaging/rpa_e2e.py dist/docrelay/docrelay        (Windows: dist\\docrelay\\docrelay.exe)

Each UiPath check builds the arguments file exactly as the workflow does (its own VB expression, read from
the XAML and evaluated with the check's inputs, relative paths against a robot folder), runs the
executable as RunDocrelay.vb does (docrelay's folder as working directory, `--args-file`, `--output`,
`in_Environment` and the secret in the child's environment only) and reads the answer as the workflow
does: typed outputs, dates as ISO text. The PAD check feeds a shell the three lines that
secrets_cmd_session.txt writes into its CMD session (cmd.exe on Windows, bash elsewhere).
Exit status 0 when every check passes.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from smoke_test import INVOICE, CheckFailed, CradlEmulator, expect
from smoke_tls import make_test_pki
from uipath_workflow import REPO, Outputs, run_workflow

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
SECRET_SNIPPET = REPO / "uipath_activity" / "power_automate" / "secrets_cmd_session.txt"
WRONG_SECRET = "wrong-secret-5e1d9c"  # must never appear in any output
# The CMD session of the PAD snippet: cmd.exe itself on Windows; elsewhere bash, which, like cmd, leaves
# the rest of its standard input to the program it starts (dash does not).
SHELL = ["cmd", "/Q"] if os.name == "nt" else ["bash"]
DOCUMENT = Path("Fakturaer på vent") / "Faktura Ærø nr 7.pdf"  # relative to the robot's folder


class Kit:
    def __init__(self, binary: Path, work: Path) -> None:
        self.binary = binary
        self.robot = work / "robot project"  # the robot's current folder
        self.exchange = work / "exchange"  # in_WorkFolder
        for folder in (self.robot / DOCUMENT.parent, self.exchange):
            folder.mkdir(parents=True)
        shutil.copy(INVOICE, self.robot / DOCUMENT)
        self.env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DOCRELAY_", "LAS_", "CRADL_", "PYTHON"))
            and k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")
        }
        self.env.update(
            DOCRELAY_CONFIG_FILE=str(work / "config" / "docrelay.toml"),
            DOCRELAY_CACHE_DIR=str(work / "cache"),
            DOCRELAY_LOG_DIR=str(work / "logs"),
        )
        self.cradl: dict[str, str] = {}
        self.last: Outputs | None = None

    def run(self, workflow: str, **inputs: Any) -> Outputs:
        inputs.setdefault("in_ExePath", str(self.binary))
        inputs.setdefault("in_WorkFolder", str(self.exchange))
        self.last = run_workflow(
            self.binary,
            workflow,
            inputs,
            current_folder=self.robot,
            work_folder=self.exchange,
            robot_env=self.env,
        )
        expect(not self.last.leftovers, f"files left in the work folder: {self.last.leftovers}")
        expect(self.last.arguments_text.isascii(), "the arguments file is not ASCII-escaped JSON")
        return self.last


def check_invoice(outputs: Outputs) -> None:
    expect(outputs.ok, f"out_Ok is False: {outputs.error_type} {outputs.error_message}")
    expect(outputs.exit_code == 0 and outputs.error_type == "", "an error on success")
    assert outputs.result is not None
    fields = outputs.result["fields"]
    expect(fields["invoice_number"]["value"] == "INV-2026-0042", "wrong invoice_number")
    date = fields["invoice_date"]["value"]
    expect(isinstance(date, str) and ISO_DATE.match(date) is not None, f"invoice_date is {date!r}")
    expect(date == "2026-03-14", f"invoice_date is {date!r}, expected 2026-03-14")


# -- the checks -----------------------------------------------------------------------------------
def check_extract_relative_non_ascii(kit: Kit) -> None:
    outputs = kit.run("ExtractDocument", in_FilePath=str(DOCUMENT), in_Provider="local")
    check_invoice(outputs)
    written = json.loads(outputs.arguments_text)
    expect(written["files"] == [str(kit.robot / DOCUMENT)], f"the arguments file holds {written['files']}")
    assert outputs.result is not None
    expect(outputs.result["document"]["name"] == DOCUMENT.name, "the non-ASCII file name did not survive")


def check_relative_path_needs_the_robot_folder(kit: Kit) -> None:
    """The bug of issue 18: docrelay runs in its own folder, so a relative path left as it is fails."""
    done = subprocess.run(
        [str(kit.binary), "extract", str(DOCUMENT), "--provider", "local"],
        cwd=kit.binary.parent,
        env=kit.env,
        capture_output=True,
        timeout=120,
    )
    expect(done.returncode == 4, f"a relative path from docrelay's folder gave exit code {done.returncode}")


def check_submit_then_get_result(kit: Kit) -> None:
    submitted = kit.run("SubmitDocument", in_FilePath=str(DOCUMENT), in_Provider="local")
    expect(submitted.ok and submitted.job.startswith("drjob1."), f"no job handle: {submitted.error_message}")
    check_invoice(kit.run("GetResult", in_Job=submitted.job))


def check_extract_folder(kit: Kit) -> None:
    shutil.copy(INVOICE, kit.robot / DOCUMENT.parent / "second.pdf")
    (kit.robot / "work").mkdir(exist_ok=True)
    outputs = kit.run(
        "ExtractFolder",
        in_FolderPath=str(DOCUMENT.parent),
        in_Provider="local",
        in_JournalPath="work/invoices.journal",
        in_CsvPath="work/invoices.csv",
        in_Concurrency=2,
    )
    expect(outputs.ok, f"out_Ok is False: {outputs.error_type} {outputs.error_message}")
    assert outputs.result is not None
    expect(outputs.result["summary"]["succeeded"] == 2, f"summary {outputs.result['summary']}")
    expect((kit.robot / "work" / "invoices.csv").is_file(), "the CSV is not in the robot's folder")
    expect((kit.robot / "work" / "invoices.journal").exists(), "the journal is not in the robot's folder")
    for result in outputs.result["results"]:
        date = result["fields"]["invoice_date"]["value"]
        expect(ISO_DATE.match(date) is not None, f"invoice_date is {date!r}")


def check_missing_document(kit: Kit) -> None:
    outputs = kit.run("ExtractDocument", in_FilePath="no such invoice.pdf", in_Provider="local")
    expect(not outputs.ok and outputs.exit_code == 4, f"exit code {outputs.exit_code}, expected 4")
    expect(outputs.error_type == "input_error", f"out_ErrorType {outputs.error_type!r}")
    expect(str(kit.robot / "no such invoice.pdf") in outputs.error_message, "the message names another path")


def check_secret_in_the_child_environment(kit: Kit) -> None:
    inputs = {
        "in_FilePath": str(DOCUMENT),
        "in_Provider": "cradl",
        "in_Model": "las:model:invoice",
        "in_Environment": kit.cradl,
        "in_SecretVariable": "DOCRELAY_CRADL_CLIENT_SECRET",
    }
    check_invoice(kit.run("ExtractDocument", **inputs, in_Secret="test-secret"))
    refused = kit.run("ExtractDocument", **inputs, in_Secret=WRONG_SECRET)
    expect(refused.exit_code == 5 and refused.error_type == "auth_error", f"exit code {refused.exit_code}")
    seen = refused.stdout + refused.stderr + refused.output_text + refused.arguments_text
    expect(WRONG_SECRET not in seen, "the secret appears in an output or the arguments file")
    expect("DOCRELAY_CRADL_CLIENT_SECRET" not in os.environ, "the secret reached the robot's environment")


REVIEW_WORKFLOW = "las:workflow:" + "e1" * 16  # the emulator's workflow with a (scripted) reviewer


def check_review_and_feedback(kit: Kit, emulator: CradlEmulator) -> None:
    environment = {**kit.cradl, "DOCRELAY_CRADL_REVIEW_WORKFLOW": REVIEW_WORKFLOW}
    common = {
        "in_Provider": "cradl",
        "in_Environment": environment,
        "in_SecretVariable": "DOCRELAY_CRADL_CLIENT_SECRET",
        "in_Secret": "test-secret",
    }
    routed = kit.run(
        "ExtractDocument",
        in_FilePath=str(DOCUMENT),
        in_Model="las:model:invoice",
        in_ReviewBelow=0.99,
        **common,
    )
    expect(routed.ok and routed.result is not None, f"{routed.error_type}: {routed.error_message}")
    assert routed.result is not None
    expect(routed.result["status"] == "needs_review", f"status {routed.result['status']}")
    review = str(routed.result["review"]["id"])
    emulator.human_review("correct", total_amount="1999.99")
    reviewed = kit.run("WaitForReview", in_Review=review, in_TimeoutSeconds=60, **common)
    expect(reviewed.ok and reviewed.result is not None, f"{reviewed.error_type}: {reviewed.error_message}")
    assert reviewed.result is not None
    total = reviewed.result["fields"]["total_amount"]
    expect(total["value"] == "1999.99" and total["edited"] is True, f"total_amount {total}")
    sent = kit.run("SendFeedback", in_Document=review, in_Fields=["total_amount=1999.99"], **common)
    expect(sent.ok, f"{sent.error_type}: {sent.error_message}")


def pad_session_lines(values: dict[str, str]) -> list[str]:
    """The lines secrets_cmd_session.txt writes into its CMD session, its %variables% filled in."""
    lines = re.findall(
        r"^Cmd\.Write Session: CmdSession Command: \$'''(.*)''' SendEnter: True$",
        SECRET_SNIPPET.read_text(encoding="utf-8"),
        flags=re.M,
    )
    expect(len(lines) == 3, f"expected 3 Cmd.Write lines, found {len(lines)}")
    filled = []
    for line in lines:
        line = line.replace('\\"', '"').replace("\\\\", "\\")  # robin's string escapes
        line = re.sub(r"%(\w+)%", lambda m: values[m.group(1)], line)
        filled.append(line if os.name == "nt" else line.replace("^", ""))  # cmd's escape character
    return filled


def check_pad_secrets_through_a_session(kit: Kit) -> None:
    output = kit.exchange / "pad-answer.json"
    lines = pad_session_lines(
        {
            "DocrelayExe": str(kit.binary),
            "InvoicePath": str(kit.robot / DOCUMENT),
            "OutputFile": str(output),
            "ClientId": kit.cradl["DOCRELAY_CRADL_CLIENT_ID"],
            "ClientSecret": WRONG_SECRET,
        }
    )
    env = {**kit.env, **{k: v for k, v in kit.cradl.items() if k != "DOCRELAY_CRADL_CLIENT_ID"}}
    session = subprocess.run(
        SHELL,
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=kit.exchange,
    )
    expect("DOCRELAY_FINISHED" in session.stdout, "the line after the settings did not go back to the shell")
    expect(WRONG_SECRET not in session.stdout + session.stderr, "the secret was echoed")
    answer = output.read_text(encoding="utf-8")
    expect(WRONG_SECRET not in answer and '"auth_error"' in answer, f"expected auth_error: {answer[:600]}")
    output.unlink()
    lines = pad_session_lines(
        {
            "DocrelayExe": str(kit.binary),
            "InvoicePath": str(kit.robot / DOCUMENT),
            "OutputFile": str(output),
            "ClientId": kit.cradl["DOCRELAY_CRADL_CLIENT_ID"],
            "ClientSecret": "test-secret",
        }
    )
    session = subprocess.run(
        SHELL,
        input="\n".join(lines) + "\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=kit.exchange,
    )
    expect('"ok": true' in output.read_text(encoding="utf-8"), f"no success: {session.stdout[-400:]}")
    output.unlink()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("binary", type=Path, help="the docrelay executable (built, or installed)")
    args = parser.parse_args(argv)
    binary = args.binary.resolve()
    if not binary.is_file():
        print(f"no executable at {binary}: build it first (python packaging/build.py)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="docrelay-rpa-") as tmp:
        kit = Kit(binary, Path(tmp))
        pki = make_test_pki(Path(tmp) / "pki")
        emulator = CradlEmulator(pki)
        kit.cradl = {
            "DOCRELAY_CRADL_API_URL": emulator.api_url,
            "DOCRELAY_CRADL_AUTH_URL": emulator.token_url,
            "DOCRELAY_CRADL_CLIENT_ID": "test-client",
            "DOCRELAY_CA_BUNDLE": str(pki.ca_cert),
        }
        checks: list[tuple[str, Callable[[], None]]] = [
            (
                "Extract Document: relative non-ASCII path, ISO date",
                lambda: check_extract_relative_non_ascii(kit),
            ),
            (
                "a relative path from docrelay's folder fails (why)",
                lambda: check_relative_path_needs_the_robot_folder(kit),
            ),
            ("Submit Document, then Get Result", lambda: check_submit_then_get_result(kit)),
            ("Extract Folder: relative folder, journal, CSV", lambda: check_extract_folder(kit)),
            ("Extract Document: missing file -> input_error", lambda: check_missing_document(kit)),
            (
                "in_Secret into docrelay's environment only",
                lambda: check_secret_in_the_child_environment(kit),
            ),
            ("PAD: --secrets-stdin through a session", lambda: check_pad_secrets_through_a_session(kit)),
            ("Wait For Review and Send Feedback (cradl)", lambda: check_review_and_feedback(kit, emulator)),
        ]
        try:
            return run_checks(kit, checks)
        finally:
            emulator.stop()


def run_checks(kit: Kit, checks: list[tuple[str, Callable[[], None]]]) -> int:
    failures = 0
    started = time.perf_counter()
    for name, check in checks:
        kit.last = None
        try:
            check()
        except (
            CheckFailed,
            AssertionError,
            KeyError,
            TypeError,
            ValueError,
            OSError,
            subprocess.SubprocessError,
        ) as exc:
            failures += 1
            print(f"FAIL  {name}: {type(exc).__name__}: {exc}", flush=True)
            if kit.last is not None:
                print(
                    f"      arguments file: {kit.last.arguments_text}\n      stdout: {kit.last.stdout}"
                    f"\n      stderr: {kit.last.stderr[-2000:]}",
                    flush=True,
                )
        else:
            print(f"ok    {name}", flush=True)
    total = time.perf_counter() - started
    print(f"{len(checks) - failures} of {len(checks)} RPA checks passed in {total:.1f} s ({kit.binary})")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
