"""`docrelay --secrets-stdin`: settings handed over as one JSON object on standard input (CONTRACT 7b).

Core's part (core/config/handover.py: reading, checking, ranking in resolve_settings) is tested
directly; the CLI's part as the installed program, with a real Cradl emulator behind it, and every
test that handles a secret checks that it appears in no output, error or log.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from core.config import parse_handover, read_handover_from_fd, resolve_settings
from core.config.handover import MAX_HANDOVER_BYTES, clear_handover, read_handover, use_handover
from core.errors import UsageError
from core.redact import redact_text
from tests.cli_helpers import SAMPLES, docrelay_executable, isolated_env, run_docrelay
from tests.emulators.cradl import CradlEmulator

SECRET = "handed-over-secret-8c1f"
INVOICE = SAMPLES / "invoice.pdf"


@pytest.fixture(autouse=True)
def no_handover_left() -> Iterator[None]:
    yield
    clear_handover()


def settings_text(**values: object) -> str:
    return json.dumps(values)


# -- parsing ------------------------------------------------------------------------------------
def test_a_json_object_of_settings_is_read_and_its_secrets_are_masked() -> None:
    settings = parse_handover(settings_text(client_id="my-app", client_secret=SECRET, timeout=60).encode())
    assert settings == {"client_id": "my-app", "client_secret": SECRET, "timeout": 60}
    assert SECRET not in redact_text(f"token request failed for {SECRET}")


def test_a_byte_order_mark_and_null_values_are_accepted() -> None:
    raw = b"\xef\xbb\xbf" + settings_text(api_key=SECRET, url=None).encode()
    assert parse_handover(raw) == {"api_key": SECRET}


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        (b"", "nothing came"),
        (b"  \n", "nothing came"),
        (b"\xff\xfe{", "not UTF-8"),
        (b'{"client_secret": "' + SECRET.encode() + b'", ', "not valid JSON"),
        (b'["client_secret"]', "not an array"),
        (b'"client_secret"', "not a string"),
        (b'{"client_sercet": "x"}', "unknown setting 'client_sercet'"),
        (b'{"provider": "cradl"}', "'provider' cannot be handed over"),
        (b'{"profile": "work"}', "'profile' cannot be handed over"),
        (b'{"client_secret": ["' + SECRET.encode() + b'"]}', "'client_secret' must be one text or number"),
        (b'{"client_secret": {"v": "' + SECRET.encode() + b'"}}', "not an object"),
    ],
)
def test_malformed_input_is_a_usage_error_that_never_shows_a_value(raw: bytes, fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_handover(raw)
    error = caught.value
    assert error.exit_code == 2
    assert fragment in str(error)
    assert SECRET not in str(error)
    assert error.hint  # what to do next


def test_reading_stops_at_the_end_of_the_object_and_leaves_the_rest() -> None:
    read_fd, write_fd = os.pipe()
    os.write(write_fd, (settings_text(client_secret=SECRET) + "\necho DOCRELAY_FINISHED\n").encode())
    os.close(write_fd)
    try:
        assert read_handover_from_fd(read_fd) == {"client_secret": SECRET}
        assert os.read(read_fd, 100) == b"echo DOCRELAY_FINISHED\n"
    finally:
        os.close(read_fd)


def test_a_pretty_printed_object_over_several_lines_is_read_whole() -> None:
    text = json.dumps({"client_id": "my-app", "client_secret": SECRET}, indent=2) + "\n"
    data = iter(text.encode())

    def next_byte() -> bytes:
        value = next(data, None)
        return b"" if value is None else bytes([value])

    assert read_handover(next_byte) == {"client_id": "my-app", "client_secret": SECRET}


def test_an_open_pipe_with_a_complete_line_does_not_block() -> None:
    """A PAD CMD session keeps the pipe open: the object's last line ends the read."""
    read_fd, write_fd = os.pipe()
    result: dict[str, object] = {}
    reader = threading.Thread(target=lambda: result.update(read_handover_from_fd(read_fd)), daemon=True)
    reader.start()
    os.write(write_fd, (settings_text(client_secret=SECRET) + "\n").encode())
    reader.join(timeout=10)
    try:
        assert not reader.is_alive(), "docrelay waited for the end of input although the object was complete"
        assert result == {"client_secret": SECRET}
    finally:
        os.close(write_fd)
        os.close(read_fd)


def test_hostile_input_is_refused_quickly() -> None:
    deep = b'{"client_secret": ' + b"[" * 50_000 + b"\n" + b"}\n" * 5_000
    with pytest.raises(UsageError, match="nested too deeply"):
        parse_handover(deep)
    lines = iter([b"}", b"\n"] * 20_000)
    started = time.perf_counter()
    with pytest.raises(UsageError):
        read_handover(lambda: next(lines, b""))
    assert time.perf_counter() - started < 5


def test_more_than_the_limit_is_refused_without_reading_on() -> None:
    chunks = iter([b" "] * (MAX_HANDOVER_BYTES + 10))
    with pytest.raises(UsageError, match="more than 64 KiB"):
        read_handover(lambda: next(chunks, b""))


# -- ranking --------------------------------------------------------------------------------------
def test_handed_over_settings_rank_below_arguments_and_above_the_environment(tmp_path: Path) -> None:
    env = {
        "DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml"),
        "DOCRELAY_CRADL_CLIENT_ID": "from-env",
        "DOCRELAY_CRADL_CLIENT_SECRET": "env-secret-value",
        "DOCRELAY_TIMEOUT": "50",
    }
    use_handover(
        parse_handover(settings_text(client_id="from-stdin", client_secret=SECRET, timeout=70).encode())
    )
    settings = resolve_settings("cradl", overrides={"client_id": "from-argument"}, env=env)
    assert settings.values["client_id"] == "from-argument"
    assert settings.values["client_secret"] == SECRET
    assert settings.origins["client_secret"] == "standard input (--secrets-stdin)"
    assert settings.timeout == 70
    assert SECRET not in repr(settings) and SECRET not in json.dumps(settings.shown())


def test_settings_of_another_provider_are_ignored(tmp_path: Path) -> None:
    use_handover(parse_handover(settings_text(api_key=SECRET).encode()))  # a contractfit setting
    settings = resolve_settings("cradl", env={"DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml")})
    assert "api_key" not in settings.values


# -- the CLI, as a program ------------------------------------------------------------------------
def test_the_cli_hands_the_piped_settings_to_core(tmp_path: Path) -> None:
    run = run_docrelay(
        "--secrets-stdin",
        "config",
        "show",
        "--provider",
        "cradl",
        env=isolated_env(tmp_path),
        stdin=settings_text(client_id="my-app", client_secret=SECRET),
    )
    assert run.exit_code == 0, run.stdout
    data = run.document["data"]
    assert data["settings"]["client_id"] == "my-app"
    assert data["settings"]["client_secret"] == "***"
    assert data["origins"]["client_secret"] == "standard input (--secrets-stdin)"
    assert SECRET not in run.stdout + run.stderr


def test_extract_authenticates_with_a_secret_from_stdin_and_never_shows_it(
    make_cradl_emulator: Callable[..., CradlEmulator], tmp_path: Path
) -> None:
    emulator = make_cradl_emulator(client_secret=SECRET)
    env = isolated_env(
        tmp_path,
        DOCRELAY_CRADL_API_URL=emulator.base_url,
        DOCRELAY_CRADL_AUTH_URL=emulator.token_url,
    )
    output = tmp_path / "answer.json"
    args = ["--secrets-stdin", "extract", str(INVOICE), "--provider", "cradl", "--model", "las:model:invoice"]
    ok = run_docrelay(
        *args,
        "--output",
        str(output),
        env=env,
        stdin=settings_text(client_id=emulator.client_id, client_secret=SECRET),
    )
    assert ok.exit_code == 0, ok.stdout
    assert ok.document["data"]["fields"]["invoice_number"]["value"] == "INV-2026-0042"

    wrong = "wrong-" + SECRET
    refused = run_docrelay(
        *args,
        "--output",
        str(output),
        "--verbose",
        env=env,
        stdin=settings_text(client_id=emulator.client_id, client_secret=wrong),
    )
    assert refused.exit_code == 5 and refused.error["type"] == "auth_error"
    logs = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "logs").glob("*") if p.is_file())
    for text in (refused.stdout, refused.stderr, output.read_text(encoding="utf-8"), logs):
        assert wrong not in text and SECRET not in text


def test_an_args_file_can_ask_for_the_handover(tmp_path: Path) -> None:
    args_file = tmp_path / "args.json"
    args_file.write_text(json.dumps({"command": "config show", "provider": "cradl", "secrets_stdin": True}))
    run = run_docrelay(
        "--args-file", str(args_file), env=isolated_env(tmp_path), stdin=settings_text(client_secret=SECRET)
    )
    assert run.exit_code == 0, run.stdout
    assert run.document["data"]["origins"]["client_secret"] == "standard input (--secrets-stdin)"


@pytest.mark.parametrize(
    ("stdin", "fragment"),
    [
        ("", "nothing came on standard input"),
        ('{"client_secret": "' + SECRET + '"', "not valid JSON"),
        ('{"no_such_setting": "' + SECRET + '"}', "unknown setting"),
        ("x" * (MAX_HANDOVER_BYTES + 1), "more than 64 KiB"),
    ],
)
def test_the_cli_answers_malformed_input_with_exit_code_2(tmp_path: Path, stdin: str, fragment: str) -> None:
    run = run_docrelay("--secrets-stdin", "extract", str(INVOICE), env=isolated_env(tmp_path), stdin=stdin)
    assert run.exit_code == 2
    assert run.error["type"] == "usage_error" and fragment in run.error["message"]
    assert SECRET not in run.stdout + run.stderr


def test_standard_input_is_read_only_once(tmp_path: Path) -> None:
    run = run_docrelay(
        "--secrets-stdin", "batch", "--files-from", "-", env=isolated_env(tmp_path), stdin="{}\n"
    )
    assert run.exit_code == 2 and "--files-from -" in run.error["message"]


def test_settings_given_on_the_command_line_are_refused_and_not_echoed(tmp_path: Path) -> None:
    run = run_docrelay(
        "config",
        "show",
        "--secrets-stdin",
        settings_text(client_secret=SECRET),
        env=isolated_env(tmp_path),
        stdin="",
    )
    assert run.exit_code == 2
    assert SECRET not in run.stdout + run.stderr


def test_without_the_option_standard_input_is_not_read(tmp_path: Path) -> None:
    run = run_docrelay(
        "config",
        "show",
        "--provider",
        "cradl",
        env=isolated_env(tmp_path),
        stdin=settings_text(client_id="x"),
    )
    assert run.exit_code == 0
    assert run.document["data"]["settings"]["client_id"] is None


def test_a_terminal_is_refused_not_waited_for(tmp_path: Path) -> None:
    """docrelay never prompts: with a terminal on standard input it answers at once."""
    primary, secondary = os.openpty()
    try:
        done = subprocess.run(
            [docrelay_executable(), "--secrets-stdin", "config", "show"],
            stdin=secondary,
            capture_output=True,
            text=True,
            env=isolated_env(tmp_path),
            timeout=30,
        )
    finally:
        os.close(primary)
        os.close(secondary)
    assert done.returncode == 2
    assert "standard input is a terminal" in json.loads(done.stdout)["error"]["message"]
