"""Failure paths of the local provider: each raises the right error class with a message that says
what is wrong and what to do."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import ConfigError, InputError, NotFoundError
from core.providers.local import LocalProvider, extract_bytes, extract_source
from core.providers.local.modelspec import load_model
from core.sources import DocumentSource
from tests.local_fixtures import (
    SAMPLES,
    corrupt_pdf,
    encrypted_pdf,
    image_bytes,
    make_pdf,
    scanned_pdf,
    text_pdf,
)


def test_scanned_pdf_is_read_by_ocr_not_refused() -> None:
    """The scanner-made page of the fixture holds only tiny 72-dpi text: OCR reads it or says it found
    nothing; either way no "needs OCR" refusal any more (tests/test_local_ocr.py has legible scans)."""
    try:
        result = extract_bytes(scanned_pdf(), "scan.pdf")
    except InputError as exc:
        assert "scan.pdf is a scanned or image-only PDF, and OCR found no text in it" in exc.full_message
        assert "cloud provider" not in exc.full_message
    else:
        assert result.raw["ocr_pages"] == [0]


@pytest.mark.parametrize("kind", ["JPEG", "PNG", "TIFF", "WEBP"])
def test_images_without_text(kind: str) -> None:
    with pytest.raises(InputError) as caught:
        extract_bytes(image_bytes(kind), f"photo.{kind.lower()}")
    assert caught.value.exit_code == 4
    assert f"photo.{kind.lower()}: OCR found no text in the image" in caught.value.full_message
    assert "cloud provider" not in caught.value.full_message


def test_upload_of_an_image_counts_its_pages() -> None:
    source = DocumentSource.from_bytes(image_bytes("PNG"), name="scan.png")
    assert LocalProvider({}).upload(source).pages == 1


def test_page_without_text_or_images() -> None:
    blank = make_pdf(lambda canvas: None)
    with pytest.raises(InputError) as caught:
        extract_bytes(blank, "blank.pdf")
    assert caught.value.exit_code == 4
    assert "blank.pdf has no text: its pages are blank" in caught.value.full_message
    assert "neither text nor images" in caught.value.full_message


def test_encrypted_pdf() -> None:
    with pytest.raises(InputError) as caught:
        extract_bytes(encrypted_pdf(), "locked.pdf")
    message = caught.value.full_message
    assert caught.value.exit_code == 4
    assert "locked.pdf is password-protected" in message
    assert "Remove the password" in message
    assert "s3cret" not in message


def test_encrypted_pdf_fails_at_upload_too() -> None:
    with pytest.raises(InputError, match="password-protected"):
        LocalProvider({}).upload(DocumentSource.from_bytes(encrypted_pdf(), name="locked.pdf"))


def test_corrupt_pdf() -> None:
    with pytest.raises(InputError) as caught:
        extract_bytes(corrupt_pdf(), "broken.pdf")
    message = caught.value.full_message
    assert caught.value.exit_code == 4
    assert "broken.pdf is not a readable PDF" in message
    assert "damaged or incomplete" in message
    assert "downloaded completely" in message


def test_unknown_model() -> None:
    with pytest.raises(NotFoundError) as caught:
        extract_bytes(text_pdf(), "a.pdf", model="receipts")
    message = caught.value.full_message
    assert caught.value.exit_code == 6
    assert "Unknown model 'receipts'" in message
    assert "available models: invoice" in message
    assert "path of a Cradl fieldConfig JSON file" in message


def test_unknown_model_fails_before_upload() -> None:
    with pytest.raises(NotFoundError):
        LocalProvider({}).resolve_model("receipts")


def test_missing_model_file(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        load_model(str(tmp_path / "fields.json"))
    assert "Model file not found" in caught.value.full_message
    assert "Built-in models: invoice" in caught.value.full_message


def test_malformed_model_json(tmp_path: Path) -> None:
    path = tmp_path / "fields.json"
    path.write_text('{"fieldConfig": {\n  "total": {"type": "amount",}\n}}', encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        extract_bytes(text_pdf(), "a.pdf", model=str(path))
    message = caught.value.full_message
    assert caught.value.exit_code == 3
    assert str(path) in message
    assert "line 2, column 30" in message
    assert "not valid JSON" in message


@pytest.mark.parametrize(
    ("config", "fragment"),
    [
        ([1, 2], "must hold a JSON object"),
        ({"fieldConfig": {}}, "has no fields"),
        ({"fieldConfig": {"total": {"type": "money"}}}, "unknown type 'money'"),
        ({"fieldConfig": {"total": "amount"}}, 'needs an object with a "type"'),
        ({"fieldConfig": {"kind": {"type": "enum"}}}, 'needs an "enum" list'),
        ({"fieldConfig": {"items": {"type": "lines"}}}, 'needs "fields"'),
        ({"fieldConfig": {"n": {"type": "string", "maxLength": 0}}}, "maxLength must be a positive integer"),
        ({"fieldConfig": {"n": {"type": "string", "pattern": "("}}}, "not a valid regular expression"),
        ({"fieldConfig": {"n": {"type": "string", "labels": "No."}}}, "labels must be a list of strings"),
    ],
)
def test_invalid_model_definitions(tmp_path: Path, config: object, fragment: str) -> None:
    path = tmp_path / "model.json"
    path.write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_model(str(path))
    assert fragment in caught.value.full_message
    assert str(path) in caught.value.full_message


def test_pages_that_do_not_exist() -> None:
    source = DocumentSource.from_path(SAMPLES / "invoice.pdf")
    with pytest.raises(InputError) as caught:
        extract_source(source, pages=[5, -9])
    assert "the document has 1 page(s)" in caught.value.full_message
    assert "0-based" in caught.value.full_message
