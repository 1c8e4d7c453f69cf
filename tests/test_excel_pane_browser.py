"""The task pane in a real browser: Debian's Chromium (driven by Playwright, no downloaded browser) on
the pane served by the real bridge over HTTPS. An init script injects a fake Office/Excel (outside Office
`Office.onReady` fires with no host); the pane pushes three documents, shows their statuses change,
pulls into the fake workbook and shows the row that failed. The screenshot goes to docs/images."""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlparse
from urllib.request import url2pathname

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from openpyxl.utils import get_column_letter
from playwright.sync_api import Page, expect, sync_playwright

from tests.bridge_helpers import Bridge, start_bridge
from tests.cli_helpers import SAMPLES

CHROMIUM = os.environ.get("DOCRELAY_CHROMIUM", "/usr/bin/chromium")
FAKE_OFFICE = Path(__file__).resolve().parent / "js" / "browser_fake_office.js"
SCREENSHOT = Path(__file__).resolve().parent.parent / "build" / "screenshots" / "excel-pane.png"


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    running = start_bridge(tmp_path)
    yield running
    running.stop()


def _spki_pin(certificate: Path) -> str:
    """Chromium trusts exactly this server key (its own trust store is not the test's to change)."""
    cert = x509.load_pem_x509_certificate(certificate.read_bytes())
    spki = cert.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(hashlib.sha256(spki).digest()).decode("ascii")


def _open_pane(bridge: Bridge, playwright: object) -> tuple[object, Page]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: scripts/test.sh installs Debian's chromium"
    browser = playwright.chromium.launch(  # type: ignore[attr-defined]
        executable_path=CHROMIUM,
        args=[
            "--no-sandbox",
            "--disable-background-networking",
            f"--ignore-certificate-errors-spki-list={_spki_pin(bridge.home / 'localhost.crt')}",
        ],
    )
    page = browser.new_page(viewport={"width": 360, "height": 640})
    page.route(
        "https://appsforoffice.microsoft.com/**",
        lambda route: route.fulfill(body="", content_type="text/javascript"),
    )
    page.add_init_script(path=str(FAKE_OFFICE))
    page.goto(bridge.url + "/taskpane.html")
    return browser, page


def _workbook(page: Page) -> dict[str, object]:
    return json.loads(page.evaluate("JSON.stringify(window.__workbook)"))


def test_push_three_documents_watch_them_and_pull_into_the_workbook(bridge: Bridge, tmp_path: Path) -> None:
    broken = tmp_path / "broken-scan.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot really a PDF\n")
    files = [SAMPLES / "invoice-globex-us.pdf", SAMPLES / "facture-dupont-fr.pdf", broken]
    with sync_playwright() as playwright:
        browser, page = _open_pane(bridge, playwright)
        try:
            expect(page.locator("#bridge")).to_contain_text("Bridge running", timeout=20_000)
            expect(page.locator("#provider")).to_have_text("local")
            page.locator("#files").set_input_files([str(f) for f in files])
            rows = page.locator("#rows tbody tr")
            expect(rows).to_have_count(3, timeout=30_000)
            seen = set()
            for _ in range(300):  # the statuses change as the bridge works
                seen.update(page.locator("#rows td.status").all_inner_texts())
                if "Pulled" in page.locator("#message").inner_text():
                    break
                page.wait_for_timeout(100)
            expect(page.locator("#message")).to_contain_text(
                "Pulled 3 result(s): 3 row(s) added", timeout=30_000
            )
            statuses = [t.split("\n")[0] for t in page.locator("#rows td.status").all_inner_texts()]
            assert statuses[2] == "failed" and set(statuses[:2]) <= {"done", "needs_review"}, statuses
            expect(page.locator("#rows tr").nth(3).locator(".error")).to_be_visible()
            book = _workbook(page)
            assert {"Documents", "LineItems", "Runs", "Settings", "_docrelay"} <= set(book["sheets"])
            cells = book["cells"]["Documents"]
            headers = {v: int(k.split(",")[1]) for k, v in cells.items() if k.startswith("1,")}
            sources = {cells.get(f"{r},{headers['source']}"): r for r in (2, 3, 4)}
            assert set(sources) == {"invoice-globex-us.pdf", "facture-dupont-fr.pdf", "broken-scan.pdf"}
            failed = sources["broken-scan.pdf"]
            assert cells[f"{failed},{headers['status']}"] == "failed"
            assert cells[f"{failed},{headers['error']}"]
            assert book["formats"]["Documents"][f"{failed},{headers['error']}"] == "@"
            for name, row in sources.items():  # each row's link opens the copy the bridge stored
                target = book["links"][f"Documents!{get_column_letter(headers['source'])}{row}"]
                opened = Path(url2pathname(unquote(urlparse(target).path)))
                assert target.startswith("file:///") and opened.name == name, target
                assert (bridge.home / "uploads") in opened.parents and opened.is_file()
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT), full_page=True)
            # Pull again: nothing new since the cursor kept in the workbook's settings.
            page.locator("#pull").click()
            expect(page.locator("#message")).to_contain_text("Nothing new since the last Pull")
        finally:
            browser.close()


def test_the_pane_says_when_the_bridge_is_unreachable(bridge: Bridge) -> None:
    with sync_playwright() as playwright:
        browser, page = _open_pane(bridge, playwright)
        try:
            expect(page.locator("#bridge")).to_contain_text("Bridge running", timeout=20_000)
            page.route("**/api/health", lambda route: route.abort())
            page.evaluate("document.querySelector('#pull').click()")
            page.reload()
            expect(page.locator("#bridge")).to_contain_text("not reachable", timeout=20_000)
            expect(page.locator("#notice")).to_contain_text("docrelay-excel run")
            expect(page.locator("#push")).to_be_disabled()
        finally:
            browser.close()


def test_excel_on_the_web_points_to_file_mode(bridge: Bridge) -> None:
    with sync_playwright() as playwright:
        browser, page = _open_pane(bridge, playwright)
        try:
            page.add_init_script(
                "window.Office.onReady = (cb) => "
                "{ setTimeout(() => cb({host: 'Excel', platform: 'OfficeOnline'}), 0); };"
            )
            page.reload()
            expect(page.locator("#bridge")).to_contain_text("Excel on the web", timeout=20_000)
            expect(page.locator("#notice")).to_contain_text("docrelay-excel run")
            expect(page.locator("#pull")).to_be_disabled()
        finally:
            browser.close()


def test_the_docs_show_the_panes_screenshot() -> None:
    docs = Path(__file__).resolve().parent.parent / "docs" / "images" / "excel-pane.png"
    assert docs.is_file(), "docs/images/excel-pane.png: copy build/screenshots/excel-pane.png there"
    assert docs.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
