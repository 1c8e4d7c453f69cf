"""Long and heavy documents in the local engine: pages are streamed, line items run across every
page, and a page too heavy to read is refused with exit 4 before it costs memory."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from reportlab.pdfgen.canvas import Canvas

from core.errors import InputError
from core.providers.local import engine, extract_bytes
from core.providers.local.pdfguard import text_runs_over_limit
from tests.cli_helpers import docrelay_executable, isolated_env
from tests.local_fixtures import make_pdf, text

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from heavy_pdfs import long_invoice, million_runs


def test_line_items_of_every_page_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # A small window makes a 9-page invoice a streamed one: pages 3 to 5 are read and let go.
    monkeypatch.setattr(engine, "HEAD_PAGES", 2)
    monkeypatch.setattr(engine, "TAIL_PAGES", 2)
    data, net, rows = long_invoice(9)
    result = extract_bytes(data, "long.pdf")
    amounts = [Decimal(row["amount"].value or "0") for row in result.tables["line_items"]]
    assert len(amounts) == rows
    assert sum(amounts) == net
    assert result.raw["pages_read"] == list(range(9))
    assert result.fields["invoice_number"].value == "LR-2026-0500"  # from the first page
    vat = (net * Decimal("0.2")).quantize(Decimal("0.01"))
    assert result.fields["total_amount"].value == str(net + vat)  # from the last page
    assert (
        result.fields["total_amount"].confidence is not None
        and result.fields["total_amount"].confidence >= 0.9
    )


def test_streamed_and_whole_documents_give_the_same_result(monkeypatch: pytest.MonkeyPatch) -> None:
    data, _, _ = long_invoice(5)
    whole = extract_bytes(data, "long.pdf")
    monkeypatch.setattr(engine, "HEAD_PAGES", 1)
    monkeypatch.setattr(engine, "TAIL_PAGES", 1)
    streamed = extract_bytes(data, "long.pdf")
    assert streamed.tables == whole.tables
    assert {k: v.value for k, v in streamed.fields.items()} == {k: v.value for k, v in whole.fields.items()}


def test_a_million_text_runs_are_counted_without_loading_the_page() -> None:
    assert text_runs_over_limit(million_runs(), 1)
    assert not text_runs_over_limit(long_invoice(3)[0], 3)


def test_a_page_with_too_many_characters_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from core.providers.local import textlayer

    monkeypatch.setattr(textlayer, "MAX_CHARS_PER_PAGE", 500)
    with pytest.raises(InputError) as caught:
        extract_bytes(long_invoice(1)[0], "dense.pdf")
    assert caught.value.exit_code == 4
    assert "Page 1 of dense.pdf has" in caught.value.message and "too heavy" in caught.value.message


def _limit_memory() -> None:
    cap = 600 * 1024 * 1024  # address space: the refusal must not need the 1 GB the page would cost
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def test_million_runs_page_exits_4_quickly_and_small(tmp_path: Path) -> None:
    heavy = tmp_path / "million-runs.pdf"
    heavy.write_bytes(million_runs())
    env = isolated_env(tmp_path)
    process = subprocess.Popen(
        [docrelay_executable(), "extract", str(heavy)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=_limit_memory,
    )
    _, status, usage = os.wait4(process.pid, 0)
    assert process.stdout is not None and process.stderr is not None
    stdout, stderr = process.stdout.read().decode(), process.stderr.read().decode()
    assert os.waitstatus_to_exitcode(status) == 4, stderr
    assert "Traceback" not in stderr
    assert usage.ru_maxrss < 300 * 1024  # KB
    lines = [line for line in stdout.splitlines() if line.strip()]
    assert len(lines) == 1 and "more than 150,000 text runs" in lines[0]


def _items_page(first: int, *, footer: str | None = None, header: bool = True) -> Callable[[Canvas], None]:
    def draw(canvas: Canvas) -> None:
        if first == 1:
            text(canvas, 50, 800, "Sectioned Goods Ltd", 16, bold=True)
            text(canvas, 50, 780, "Invoice number: SG-1")
        if header:
            for x, label in ((50, "Description"), (330, "Qty"), (400, "Unit price"), (500, "Amount")):
                text(canvas, x, 740, label, bold=True)
        for row in range(3):
            y = 720 - 16 * row
            text(canvas, 50, y, f"Item {first + row}")
            text(canvas, 340, y, "2", right=True)
            text(canvas, 450, y, "5.00", right=True)
            text(canvas, 540, y, "10.00", right=True)
        if footer:
            text(canvas, 400, 650, footer)

    return draw


def test_items_after_a_page_footer_subtotal_and_in_sections_are_kept() -> None:
    data = make_pdf(_items_page(1, footer="Subtotal 30.00"), _items_page(4, footer="Total 60.00"))
    result = extract_bytes(data, "two-pages.pdf")
    assert [row["description"].value for row in result.tables["line_items"]] == [
        f"Item {n}" for n in range(1, 7)
    ]
    assert result.fields["total_amount"].value == "60.00"


def test_a_table_ends_at_its_totals_when_no_header_follows() -> None:
    data = make_pdf(_items_page(1, footer="Total 30.00"), _items_page(4, header=False))
    result = extract_bytes(data, "two-pages.pdf")
    assert len(result.tables["line_items"]) == 3
