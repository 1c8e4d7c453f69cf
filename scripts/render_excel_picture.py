"""Make docs/images/excel-documents.png: the sample invoices run through `docrelay-excel` (local
provider), the Documents sheet printed by LibreOffice and cropped. Needs LibreOffice and pdftoppm
(scripts/test.sh installs both).

    .venv/bin/python scripts/render_excel_picture.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image, ImageChops

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.workbook_helpers import render_documents_png  # noqa: E402

TARGET = REPO / "docs" / "images" / "excel-documents.png"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="docrelay-picture-") as tmp:
        work = Path(tmp)
        shutil.copytree(
            REPO / "samples", work / "invoices", ignore=shutil.ignore_patterns("*.json", "*.py", "*.md")
        )
        env = {
            **os.environ,
            "DOCRELAY_CONFIG_FILE": str(work / "cfg.toml"),
            "DOCRELAY_CACHE_DIR": str(work / "c"),
        }
        excel = str(Path(sys.executable).parent / "docrelay-excel")
        for args in (
            ["new", "Invoices.xlsx", "--folder", "invoices"],
            ["run", "Invoices.xlsx", "--journal", "j"],
        ):
            subprocess.run([excel, *args], cwd=work, env=env, check=True, capture_output=True)
        png = render_documents_png(
            work / "Invoices.xlsx",
            work / "documents.png",
            work,
            work / "profile",
            print_area="A1:P7",
            dpi=200,
        )
        image = Image.open(png).convert("RGB")
        background = Image.new("RGB", image.size, (255, 255, 255))
        box = ImageChops.difference(image, background).getbbox()
        assert box, "the rendered page is blank"
        left, top, right, bottom = box
        image.crop((max(left - 12, 0), max(top - 12, 0), right + 12, bottom + 12)).save(TARGET, optimize=True)
    print(f"wrote {TARGET.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
