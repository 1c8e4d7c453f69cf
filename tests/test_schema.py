"""The published JSON Schema of the result stays in step with the models, and real results match it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema

from tests.cli_helpers import REPO


def test_published_schema_is_current() -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "scripts" / "generate_docs.py"), "--check"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, f"run `python scripts/generate_docs.py`: {proc.stdout}{proc.stderr}"


def test_local_results_validate_against_the_schema() -> None:
    from core.services import Client

    schema = json.loads((REPO / "docs" / "schema" / "result.schema.json").read_text(encoding="utf-8"))
    with Client(provider="local", env={}) as client:
        for pdf in sorted(Path(REPO / "samples").glob("*.pdf")):
            jsonschema.validate(client.extract(pdf).to_dict(), schema)
