"""The smoke test's own parts: the throw-away test CA, the Cradl emulator over HTTPS, DOCRELAY_CA_BUNDLE
against a real TLS server, and the smoke test script itself (run against the installed `docrelay`
program here; against the built executable in scripts/test.sh and the Windows workflow)."""

from __future__ import annotations

import os
import ssl
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from core.errors import ConfigError, NetworkError
from core.services import Client
from tests.cli_helpers import SAMPLES, docrelay_executable
from tests.emulators.cradl import CradlEmulator
from tests.packaging_helpers import PACKAGING, REPO, load

smoke_tls = load("smoke_tls")
INVOICE = SAMPLES / "invoice.pdf"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return smoke_tls.make_test_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def tls_emulator(pki: Any) -> Iterator[CradlEmulator]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(pki.server_cert, pki.server_key)
    with CradlEmulator(tls=context, async_delay=0.2, seed=7) as emulator:
        yield emulator


def cradl_settings(emulator: CradlEmulator, **extra: Any) -> dict[str, Any]:
    return {
        "api_url": emulator.base_url,
        "auth_url": emulator.token_url,
        "client_id": emulator.client_id,
        "client_secret": emulator.client_secret,
        **extra,
    }


def test_the_emulator_serves_https_for_the_ip_and_localhost(tls_emulator: CradlEmulator, pki: Any) -> None:
    assert tls_emulator.base_url.startswith("https://127.0.0.1:")
    health = requests.get(f"{tls_emulator.root_url}/_emulator/health", verify=str(pki.ca_cert), timeout=10)
    assert health.json()["ok"] is True
    by_name = requests.get(
        f"https://localhost:{tls_emulator.port}/_emulator/health", verify=str(pki.ca_cert), timeout=10
    )
    assert by_name.status_code == 200


def test_an_untrusted_client_is_refused_and_the_emulator_keeps_serving(
    tls_emulator: CradlEmulator, pki: Any
) -> None:
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(f"{tls_emulator.root_url}/_emulator/health", timeout=10)  # certifi does not know our CA
    again = requests.get(f"{tls_emulator.root_url}/_emulator/health", verify=str(pki.ca_cert), timeout=10)
    assert again.status_code == 200


def no_profile(tmp_path: Path) -> dict[str, str]:
    """An environment in which no user's docrelay.toml can take part."""
    return {"DOCRELAY_CONFIG_FILE": str(tmp_path / "docrelay.toml")}


def test_extract_over_https_with_the_ca_bundle(tls_emulator: CradlEmulator, pki: Any, tmp_path: Path) -> None:
    settings = cradl_settings(tls_emulator, ca_bundle=str(pki.ca_cert))
    with Client("cradl", settings=settings, env=no_profile(tmp_path)) as client:
        result = client.extract(INVOICE, model="las:model:invoice")
    assert result.status == "succeeded"
    assert result.fields["invoice_number"].value == "INV-2026-0042"
    tls_emulator.assert_no_violations()
    # every byte went over TLS, the file's content included (inline in POST /documents: a small file)
    assert tls_emulator.requests_to("POST /documents") == 1
    assert tls_emulator.stats["counters"]["uploads_by_sha256"] == {result.document.sha256: 1}


def test_without_the_ca_bundle_the_certificate_is_refused(
    tls_emulator: CradlEmulator, tmp_path: Path
) -> None:
    with (
        Client("cradl", settings=cradl_settings(tls_emulator), env=no_profile(tmp_path)) as client,
        pytest.raises(NetworkError) as caught,
    ):
        client.extract(INVOICE, model="las:model:invoice")
    assert "the certificate could not be verified" in caught.value.message
    assert "DOCRELAY_CA_BUNDLE" in (caught.value.hint or "")
    assert caught.value.exit_code == 9


def test_a_missing_ca_bundle_is_a_configuration_error(tls_emulator: CradlEmulator, tmp_path: Path) -> None:
    settings = cradl_settings(tls_emulator, ca_bundle=str(tmp_path / "no-such-ca.pem"))
    with pytest.raises(ConfigError) as caught:
        Client("cradl", settings=settings, env=no_profile(tmp_path)).extract(
            INVOICE, model="las:model:invoice"
        )
    assert "no-such-ca.pem" in caught.value.message
    assert caught.value.exit_code == 3


def test_emulator_refuses_half_a_tls_configuration() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "tests.emulators", "cradl", "--tls-cert", "x.pem"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert "--tls-cert and --tls-key go together" in run.stderr


def run_smoke(binary: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(PACKAGING / "smoke_test.py"), binary],
        cwd=REPO,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=300,
    )


def test_smoke_test_passes_against_the_installed_command() -> None:
    run = run_smoke(docrelay_executable())
    assert run.returncode == 0, run.stdout + run.stderr
    assert "FAIL" not in run.stdout
    assert "19 of 19 checks passed" in run.stdout


@pytest.mark.skipif(os.name == "nt", reason="the stand-in program is a POSIX script")
def test_smoke_test_fails_for_a_program_that_only_pretends(tmp_path: Path) -> None:
    impostor = tmp_path / "docrelay"
    impostor.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            """
            import json
            meta = {"version": "0"}
            print(json.dumps({"ok": True, "command": "version", "data": meta, "meta": meta}))
            """
        ),
        encoding="utf-8",
    )
    impostor.chmod(0o755)
    run = run_smoke(str(impostor))
    assert run.returncode == 1
    assert "ok    --version" in run.stdout  # the one thing it gets right
    assert "FAIL  input error: missing file -> 4: CheckFailed: exit code 0, expected 4" in run.stdout
    assert "1 of 19 checks passed" in run.stdout


def test_smoke_test_needs_an_existing_binary(tmp_path: Path) -> None:
    run = run_smoke(str(tmp_path / "missing-docrelay"))
    assert run.returncode == 2
    assert "build it first (python packaging/build.py)" in run.stderr
