"""Heavy PDFs for the long-document benchmark and the hostile-input tests (made on the fly).

`long_invoice(pages)`: an invoice whose line items run over every page (about 45 rows a page), the
totals on the last page. `million_runs(runs)`: one page with `runs` separate text-showing operators
in a Flate-compressed content stream (a hostile input: 1,000,000 runs is about 2.6 MB).
"""

from __future__ import annotations

import io
import zlib
from decimal import Decimal

ROWS_PER_PAGE = 45


def long_invoice(pages: int) -> tuple[bytes, Decimal, int]:
    """The PDF, its net total (the sum of the rows) and the number of rows."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    net = Decimal(0)
    rows = 0
    for page in range(pages):
        canvas.setFont("Helvetica-Bold", 16)
        if page == 0:
            canvas.drawString(50, 800, "Longrun Supplies Ltd")
            canvas.setFont("Helvetica", 10)
            canvas.drawString(50, 780, "Invoice number: LR-2026-0500")
            canvas.drawString(50, 766, "Invoice date: 14 March 2026")
        canvas.setFont("Helvetica-Bold", 10)
        canvas.drawString(50, 740, "Description")
        canvas.drawRightString(380, 740, "Qty")
        canvas.drawRightString(460, 740, "Unit price")
        canvas.drawRightString(540, 740, "Amount")
        canvas.setFont("Helvetica", 10)
        for row in range(ROWS_PER_PAGE):
            y = 724 - row * 14
            number = page * ROWS_PER_PAGE + row + 1
            qty, price = 1 + number % 7, Decimal(number % 97 + 3) + Decimal("0.25")
            amount = qty * price
            net += amount
            rows += 1
            canvas.drawString(50, y, f"Consulting block {number} for project Longrun phase {page + 1}")
            canvas.drawRightString(380, y, str(qty))
            canvas.drawRightString(460, y, f"{price:.2f}")
            canvas.drawRightString(540, y, f"{amount:.2f}")
        canvas.drawString(50, 40, f"Page {page + 1} of {pages}")
        if page == pages - 1:
            vat = (net * Decimal("0.2")).quantize(Decimal("0.01"))
            canvas.drawString(360, 90, "Subtotal")
            canvas.drawRightString(540, 90, f"{net:.2f}")
            canvas.drawString(360, 76, "VAT 20%")
            canvas.drawRightString(540, 76, f"{vat:.2f}")
            canvas.drawString(360, 62, "Total due")
            canvas.drawRightString(540, 62, f"{net + vat:.2f}")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue(), net, rows


_PROSE_TEXT = (
    "The supplier provides the services described in the agreement with due care and in line with the "
    "service levels agreed; usage is measured per calendar month and billed in arrears, and any "
    "credits for missed service levels are set off against the next statement of account."
)
_PROSE = _PROSE_TEXT.split(" ")


def long_text(pages: int) -> bytes:
    """A text document of `pages` pages (about 4,000 characters each) with an invoice's header on the
    first page and its totals on the last: a long statement or contract-like invoice."""
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=1)
    for page in range(pages):
        canvas.setFont("Helvetica", 10)
        if page == 0:
            canvas.setFont("Helvetica-Bold", 16)
            canvas.drawString(50, 800, "Longrun Supplies Ltd")
            canvas.setFont("Helvetica", 10)
            canvas.drawString(50, 780, "Invoice number: LR-2026-0501")
            canvas.drawString(50, 766, "Invoice date: 14 March 2026")
        for row in range(48):
            start = (page * 48 + row) % len(_PROSE)
            words = (_PROSE[start:] + _PROSE[:start])[:14]
            canvas.drawString(50, 740 - row * 14, " ".join(words))
        canvas.drawString(50, 40, f"Page {page + 1} of {pages}")
        if page == pages - 1:
            canvas.drawString(360, 90, "Subtotal")
            canvas.drawRightString(540, 90, "1,000.00")
            canvas.drawString(360, 76, "VAT 20%")
            canvas.drawRightString(540, 76, "200.00")
            canvas.drawString(360, 62, "Total due")
            canvas.drawRightString(540, 62, "1,200.00")
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def million_runs(runs: int = 1_000_000) -> bytes:
    """One page with `runs` one-character text runs, on a 1000 x 1000 grid, each placed by its own Td."""
    letters = b"abcdefghijklmnopqrstuvwxyz"
    parts = [b"BT /F1 0.5 Tf 6 20 Td "]
    for i in range(runs):
        step = b"0.6 0 Td " if (i + 1) % 1000 else b"-599.4 0.75 Td "
        parts.append(b"(" + letters[(i * 7 + i // 1000) % 26 : (i * 7 + i // 1000) % 26 + 1] + b")Tj " + step)
    content = zlib.compress(b"".join(parts), 9)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()
