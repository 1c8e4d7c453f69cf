"""OCR in the local provider: images of every kind, scanned and mixed PDFs, turned and skewed pages,
150-300 dpi, boxes and confidences, and the failure paths (blank, damaged, huge images)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError
from core.models import Result
from core.providers.local import LocalProvider, extract_bytes, extract_source
from core.sources import DocumentSource
from tests.cli_helpers import isolated_env, run_docrelay
from tests.local_fixtures import make_pdf
from tests.scan_fixtures import (
    HEADER,
    blank_image,
    capped_extract,
    closing_page,
    header_pdf,
    image_file,
    image_pdf,
    mixed_pdf,
    scan,
)


def assert_header(result: Result) -> None:
    for key, value in HEADER.items():
        field = result.fields[key]
        assert field.value == value, (key, field)
        assert field.confidence is not None and 0 < field.confidence <= 0.99
        assert field.page == 0
        assert field.box is not None
        x1, y1, x2, y2 = field.box
        assert 0 <= x1 < x2 <= 1 and 0 <= y1 < y2 <= 1


@pytest.mark.parametrize("kind", ["PNG", "JPEG", "TIFF", "WEBP"])
def test_images_are_read_by_ocr(kind: str) -> None:
    data = image_file(scan(header_pdf(), skew=2, noise=12), kind=kind)
    result = extract_bytes(data, f"scan.{kind.lower()}")
    assert_header(result)
    assert result.extras["read_from"] == "ocr"
    assert result.raw["ocr_pages"] == [0]
    assert result.document.content_type == f"image/{kind.lower()}"


@pytest.mark.parametrize("rotate", [90, 180, 270])
def test_pages_scanned_sideways_or_upside_down(rotate: int) -> None:
    result = extract_bytes(image_file(scan(header_pdf(), rotate=rotate, skew=-1.5)), "turned.png")
    assert_header(result)
    # the boxes are in the upright page: the company name is the first line, at the top left
    name_box = result.fields["supplier_name"].box
    assert name_box is not None and name_box[0] < 0.3 and name_box[1] < 0.4


@pytest.mark.parametrize("dpi", [150, 300])
def test_resolutions(dpi: int) -> None:
    assert_header(extract_bytes(image_file(scan(header_pdf(), dpi=dpi, skew=3)), f"scan{dpi}.png"))


def test_skew_keeps_a_line_together() -> None:
    """Label and value of one printed line stay on one line when the page is skewed by a few degrees."""
    wide = make_pdf(lambda c: c.drawString(50, 800, "Invoice No.:" + " " * 60 + "W-7788"))
    result = extract_bytes(image_file(scan(wide, skew=3, top=0.15)), "wide.png")
    assert result.fields["invoice_number"].value == "W-7788"


def test_multipage_tiff_and_page_selection() -> None:
    data = image_file(scan(header_pdf()), scan(make_pdf(closing_page)), kind="TIFF")
    result = extract_bytes(data, "two-pages.tif")
    assert result.document.pages == 2
    assert result.raw["pages_read"] == [0, 1] and result.raw["ocr_pages"] == [0, 1]
    assert_header(result)
    only_last = extract_source(DocumentSource.from_bytes(data, name="two-pages.tif"), pages=[-1])
    assert only_last.raw["pages_read"] == [1]
    assert only_last.fields["invoice_number"].value is None
    source = DocumentSource.from_bytes(data, name="two-pages.tif")
    assert LocalProvider({}).upload(source).pages == 2


def test_scanned_pdf() -> None:
    result = extract_bytes(image_pdf(scan(header_pdf(), top=1.0, skew=2, noise=12)), "scan.pdf")
    assert_header(result)
    assert result.extras["read_from"] == "ocr"
    assert result.raw["ocr_pages"] == [0]


def test_mixed_pdf_reads_text_pages_as_text_and_scanned_pages_by_ocr() -> None:
    result = extract_bytes(mixed_pdf(), "mixed.pdf")
    assert result.raw["pages_read"] == [0, 1]
    assert result.raw["ocr_pages"] == [0]
    assert result.extras["read_from"] == "text layer and ocr"
    assert_header(result)


def test_boxes_match_the_text_layer() -> None:
    """The scan's boxes land where the text layer's are (within 1.5% of the page)."""
    pdf = header_pdf()
    from_text = extract_bytes(pdf, "header.pdf")
    from_scan = extract_bytes(image_pdf(scan(pdf, top=1.0)), "header-scan.pdf")
    for key in HEADER:
        text_box, scan_box = from_text.fields[key].box, from_scan.fields[key].box
        assert text_box is not None and scan_box is not None
        assert max(abs(a - b) for a, b in zip(text_box, scan_box, strict=True)) < 0.015, (
            key,
            text_box,
            scan_box,
        )


def test_ocr_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """The models come from the installed package: a fresh engine works with every connection refused."""
    import core.providers.local.ocr as ocr

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the OCR engine tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(ocr, "_ENGINE", None)
    result = extract_bytes(image_file(scan(header_pdf())), "offline.png")
    assert result.fields["invoice_number"].value == "T-1001"
    folder = ocr.model_folder()
    for file_name in ocr.MODEL_FILES.values():
        assert (folder / file_name).is_file()


def test_blank_image_says_no_text_was_found() -> None:
    with pytest.raises(InputError) as caught:
        extract_bytes(blank_image(), "blank.png")
    assert caught.value.exit_code == 4
    assert "blank.png: OCR found no text in the image" in caught.value.full_message
    assert "at least 150 dpi" in caught.value.full_message


def test_blank_scanned_pdf_says_no_text_was_found() -> None:
    from PIL import Image

    with pytest.raises(InputError) as caught:
        extract_bytes(image_pdf(Image.new("L", (1654, 2339), 255)), "empty-scan.pdf")
    assert (
        "empty-scan.pdf is a scanned or image-only PDF, and OCR found no text in it"
        in caught.value.full_message
    )


def test_damaged_image() -> None:
    data = image_file(scan(header_pdf()))
    with pytest.raises(InputError) as caught:
        extract_bytes(data[: len(data) // 3], "cut.png")
    assert "cut.png is not a readable image" in caught.value.full_message
    assert caught.value.exit_code == 4


def test_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    """A decompression bomb: a small file that claims 70 million pixels (read in a process whose
    address space is capped at 1 GiB)."""
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (10_000, 7_000), 1).save(bomb, "PNG")
    assert bomb.stat().st_size < 1_000_000
    run = capped_extract(bomb, tmp_path)
    assert run.exit_code == 4, run.stderr
    assert "bomb.png is too large an image to read: 10000 x 7000 pixels" in run.error["message"]


def test_confidence_carries_the_ocr_certainty() -> None:
    """A value read by OCR is never surer than the same value read from the text layer."""
    pdf = header_pdf()
    from_text = extract_bytes(pdf, "header.pdf")
    from_scan = extract_bytes(image_pdf(scan(pdf, top=1.0, noise=25)), "noisy.pdf")
    for key in HEADER:
        text_confidence, scan_confidence = from_text.fields[key].confidence, from_scan.fields[key].confidence
        assert text_confidence is not None and scan_confidence is not None
        assert scan_confidence <= text_confidence


def test_doctor_names_the_ocr_engine() -> None:
    checks = {c.name: c for c in LocalProvider({}).check()}
    assert checks["local OCR"].ok
    assert "PP-OCRv6" in checks["local OCR"].detail and "onnxruntime" in checks["local OCR"].detail


def test_cli_reads_a_scan(tmp_path: Path) -> None:
    png = tmp_path / "scanned invoice.png"
    png.write_bytes(image_file(scan(header_pdf(), skew=2)))
    run = run_docrelay("extract", str(png), "--provider", "local", env=isolated_env(tmp_path))
    assert run.exit_code == 0, run.stderr
    data = run.document["data"]
    assert data["fields"]["invoice_number"]["value"] == "T-1001"
    assert data["extras"]["read_from"] == "ocr"


def test_scanned_pages_of_a_long_document_are_read_in_the_stream() -> None:
    """A long PDF is streamed (only its first and last pages are kept): a scanned first page gives
    the header fields, and a scanned page in the middle, long let go, is still counted as OCR'd."""
    import io

    import pypdfium2 as pdfium

    scanned = image_pdf(scan(header_pdf(), top=0.3))
    filler = make_pdf(lambda c: c.drawString(50, 800, "Terms and conditions apply to this page"))
    combined = pdfium.PdfDocument.new()
    for part in [scanned, *[filler] * 9, scanned, *[filler] * 8, make_pdf(closing_page)]:
        source = pdfium.PdfDocument(part)
        combined.import_pages(source)
        source.close()
    buffer = io.BytesIO()
    combined.save(buffer)
    combined.close()
    result = extract_bytes(buffer.getvalue(), "long-mixed.pdf")
    assert result.document.pages == 20
    assert result.raw["pages_read"] == list(range(20))
    assert result.raw["ocr_pages"] == [0, 10]
    assert result.extras["read_from"] == "text layer and ocr"
    assert_header(result)
