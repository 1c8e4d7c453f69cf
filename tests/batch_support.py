"""Helpers of the batch tests: distinct documents, clients and environments for the Cradl emulator."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.services import Client, PollingOptions
from tests.cli_helpers import SAMPLES
from tests.emulators.cradl import CradlEmulator

INVOICE = SAMPLES / "invoice.pdf"
MODEL = "las:model:invoice"


def make_documents(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    """`count` one-page PDFs with distinct content (the sample invoice plus a numbered comment)."""
    folder.mkdir(parents=True, exist_ok=True)
    template = INVOICE.read_bytes()
    paths = []
    for number in range(start, start + count):
        path = folder / f"doc-{number:03d}.pdf"
        path.write_bytes(template + f"\n%docrelay-test-{number}\n".encode())
        paths.append(path)
    return paths


def cradl_client(emu: CradlEmulator, tmp_path: Path, **settings: Any) -> Client:
    """A Client for the emulator with a ready token, isolated from the user's configuration; it polls
    early and often (the tests' emulators finish jobs in a fraction of a second)."""
    values = {"api_url": emu.base_url, "access_token": emu.issue_token(), **settings}
    return Client(
        "cradl",
        settings=values,
        env={"DOCRELAY_CONFIG_FILE": str(tmp_path / "none.toml")},
        polling=PollingOptions(initial_delay=0.2, max_interval=0.5),
    )


def predictions_by_document(emu: CradlEmulator) -> dict[str, int]:
    counts: dict[str, int] = emu.stats["counters"].get("predictions_by_sha256", {})
    return counts


def uploads_by_document(emu: CradlEmulator) -> dict[str, int]:
    counts: dict[str, int] = emu.stats["counters"].get("uploads_by_sha256", {})
    return counts
