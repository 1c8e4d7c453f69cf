"""The `local` provider's steps, and job handles that work from another process."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from core.errors import ConfigError, NotFoundError
from core.models import JobHandle, Result
from core.providers import provider_class
from core.providers.base import PredictOptions
from core.providers.local import LocalProvider, cache_dir, extract_source
from core.sources import DocumentSource
from tests.cli_helpers import REPO
from tests.local_fixtures import SAMPLES, text_pdf

# Runs in a fresh interpreter: decode the handle, poll, fetch, print what came back.
FRESH_PROCESS = """
import json, sys
from core.errors import DocRelayError
from core.models import JobHandle
from core.providers.local import LocalProvider
provider = LocalProvider({})
try:
    job = JobHandle.decode(sys.argv[1])
    status = provider.poll(job)
    result = provider.fetch_result(job)
    print(json.dumps({"status": status.status, "result": result.to_dict()}))
except DocRelayError as exc:
    print(json.dumps({"error": exc.to_dict()}))
"""


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("DOCRELAY_CACHE_DIR", str(folder))
    return folder


def run_fresh(token: str, cache: Path) -> dict[str, Any]:
    env = {"DOCRELAY_CACHE_DIR": str(cache), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", FRESH_PROCESS, token],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def submit(provider: LocalProvider, source: DocumentSource, model: str | None = None) -> JobHandle:
    info = provider.upload(source)
    return provider.start_prediction(info, source, provider.resolve_model(model), PredictOptions())


def test_registered_with_its_capabilities() -> None:
    cls = provider_class("local")
    assert cls is LocalProvider
    assert cls.name == "local" and cls.default_model == "invoice"
    caps = cls.capabilities
    assert caps.upload and not caps.async_jobs and caps.page_selection and caps.boxes
    assert caps.confidence and caps.line_items and caps.models_listing


def test_upload_counts_pages_without_network() -> None:
    source = DocumentSource.from_path(SAMPLES / "faktura-nordlys-no.pdf")
    info = LocalProvider({}).upload(source)
    assert info.pages == 2
    assert info.id == "local:document:" + source.sha256[:32]
    assert info.sha256 == source.sha256 and info.name == "faktura-nordlys-no.pdf"


@pytest.mark.parametrize(
    "options", [PredictOptions(), PredictOptions(max_pages=5), PredictOptions(pages=[0])]
)
def test_extract_is_one_call_that_leaves_no_cache_file(private_cache: Path, options: PredictOptions) -> None:
    from core.services import Client

    with Client("local", env={}) as client:
        direct = client.extract(SAMPLES / "invoice.pdf", options=options)
        assert not (private_cache / "local").exists(), "nothing kept on disk: there is no job to resume"
        waited = client.wait(client.submit(SAMPLES / "invoice.pdf", options=options))
    assert direct == waited  # the same result (and prediction id) as the upload-start-poll way


def test_submit_poll_fetch(private_cache: Path) -> None:
    provider = LocalProvider({})
    job = submit(provider, DocumentSource.from_path(SAMPLES / "invoice.pdf"))
    assert job.provider == "local" and job.model == "invoice"
    assert job.prediction_id is not None and job.prediction_id.startswith("local:prediction:")
    status = provider.poll(job)
    assert status.status == "succeeded" and status.result is not None
    assert provider.fetch_result(job).fields["invoice_number"].value == "INV-2026-0042"
    cached = private_cache / "local" / (job.prediction_id.rsplit(":", 1)[1] + ".json")
    assert Result.model_validate_json(cached.read_text(encoding="utf-8")) == status.result
    assert not list(cached.parent.glob("*.tmp"))  # written atomically, nothing left behind
    assert cache_dir() == private_cache / "local"


def test_handle_round_trip_from_a_fresh_process(private_cache: Path) -> None:
    provider = LocalProvider({})
    job = submit(provider, DocumentSource.from_path(SAMPLES / "rechnung-mueller-de.pdf"))
    here = provider.fetch_result(job).to_dict()
    there = run_fresh(job.encode(), private_cache)
    assert there["status"] == "succeeded"
    assert there["result"] == here


def test_fresh_process_extracts_again_when_the_cache_is_gone(private_cache: Path, tmp_path: Path) -> None:
    document = tmp_path / "my invoice.pdf"
    shutil.copy(SAMPLES / "invoice.pdf", document)
    job = submit(LocalProvider({}), DocumentSource.from_path(document))
    shutil.rmtree(private_cache)
    there = run_fresh(job.encode(), private_cache)
    assert there["result"]["prediction_id"] == job.prediction_id
    assert there["result"]["fields"]["total_amount"]["value"] == "1836.60"
    # The document changed since: the old job must not silently return new numbers.
    document.write_bytes(text_pdf())
    shutil.rmtree(private_cache, ignore_errors=True)
    error = run_fresh(job.encode(), private_cache)["error"]
    assert error["exit_code"] == 6 and "has changed since it was submitted" in error["message"]


def test_bytes_job_without_cache_is_not_found(private_cache: Path) -> None:
    source = DocumentSource.from_bytes((SAMPLES / "invoice.pdf").read_bytes(), name="mem.pdf")
    job = submit(LocalProvider({}), source)
    shutil.rmtree(private_cache)
    error = run_fresh(job.encode(), private_cache)["error"]
    assert error["type"] == "not_found" and error["exit_code"] == 6
    assert "no longer available" in error["message"] and "run the extraction again" in error["message"]
    with pytest.raises(NotFoundError):
        LocalProvider({}).fetch_result(job)


def test_unwritable_cache_for_bytes_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DOCRELAY_CACHE_DIR", str(blocker))
    source = DocumentSource.from_bytes(text_pdf(), name="mem.pdf")
    with pytest.raises(ConfigError) as caught:
        submit(LocalProvider({}), source)
    assert "DOCRELAY_CACHE_DIR" in caught.value.full_message
    # A file on disk still works: the handle can re-read it.
    job = submit(LocalProvider({}), DocumentSource.from_path(SAMPLES / "invoice.pdf"))
    assert LocalProvider({}).fetch_result(job).fields["invoice_number"].value == "INV-2026-0042"


def test_page_selection_in_the_handle(private_cache: Path) -> None:
    provider = LocalProvider({})
    source = DocumentSource.from_path(SAMPLES / "factuur-devries-nl.pdf")
    info = provider.upload(source)
    job = provider.start_prediction(info, source, "invoice", PredictOptions(pages=[0]))
    assert job.state["pages"] == [0]
    shutil.rmtree(private_cache)
    result = run_fresh(job.encode(), private_cache)["result"]
    assert result["raw"]["pages_read"] == [0]
    assert len(result["tables"]["line_items"]) == 20  # the 6 lines on page 2 were not read


def test_custom_model_path_in_the_handle(private_cache: Path, tmp_path: Path) -> None:
    model = tmp_path / "mini.json"
    model.write_text(
        json.dumps({"fieldConfig": {"iban": {"type": "string", "format": "iban"}}}), encoding="utf-8"
    )
    job = submit(LocalProvider({}), DocumentSource.from_path(SAMPLES / "invoice.pdf"), str(model))
    assert job.state["model"] == str(model.resolve())
    shutil.rmtree(private_cache)
    result = run_fresh(job.encode(), private_cache)["result"]
    assert result["fields"]["iban"]["value"] == "GB29NWBK60161331926819"


def test_doctor_checks(private_cache: Path) -> None:
    checks = {c.name: c for c in LocalProvider({}).check()}
    assert checks["local engine"].ok and "pypdfium2" in checks["local engine"].detail
    assert checks["local models"].ok and "invoice" in checks["local models"].detail
    assert checks["local cache"].ok and checks["local cache"].detail == str(private_cache / "local")


def test_doctor_reports_an_unwritable_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    monkeypatch.setenv("DOCRELAY_CACHE_DIR", str(blocker))
    cache = {c.name: c for c in LocalProvider({}).check()}["local cache"]
    assert not cache.ok and cache.error_type == "config_error" and "DOCRELAY_CACHE_DIR" in cache.detail


def test_importing_the_provider_does_not_load_pdfium() -> None:
    code = "import sys, core.providers.local; print('pypdfium2' in sys.modules, 'requests' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["False", "False"], done.stderr


def test_max_pages_reads_only_the_first_pages() -> None:
    provider = LocalProvider({})
    source = DocumentSource.from_path(SAMPLES / "faktura-nordlys-no.pdf")
    job = provider.start_prediction(provider.upload(source), source, "invoice", PredictOptions(max_pages=1))
    result = provider.fetch_result(job)
    assert result.raw["pages_read"] == [0]
    assert all(row["description"].page == 0 for row in result.tables["line_items"])


def test_parallel_extractions_agree() -> None:
    from concurrent.futures import ThreadPoolExecutor

    paths = [SAMPLES / "invoice.pdf", SAMPLES / "faktura-nordlys-no.pdf"] * 4
    alone = {p: extract_source(DocumentSource.from_path(p)).to_dict() for p in set(paths)}
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda p: extract_source(DocumentSource.from_path(p)).to_dict(), paths))
    assert together == [alone[p] for p in paths]
