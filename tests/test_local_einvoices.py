"""E-invoices in the local provider: public Factur-X / ZUGFeRD / XRechnung / UBL examples made by other
software (tests/einvoices/SOURCES.md) read exactly; broken and hostile XML falls back or is refused,
never crashes; the services refuse XML before sending anything; the CLI reads an XML file."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError
from core.providers.cradl.provider import CradlProvider
from core.providers.local import LocalProvider, extract_bytes, extract_source
from core.providers.local.einvoice import EInvoiceError, read_einvoice
from core.sources import DocumentSource
from tests.cli_helpers import isolated_env, run_docrelay
from tests.local_fixtures import text_pdf
from tests.scan_fixtures import capped_extract

FOLDER = Path(__file__).resolve().parent / "einvoices"
EXPECTED: dict[str, dict[str, Any]] = json.loads((FOLDER / "expected.json").read_text(encoding="utf-8"))

MODELS = {"cradl": "las:model:invoice", "contractfit": "invoice", "deepopinion": "12"}
UBL = b"urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol9 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"><ID>&lol9;</ID></Invoice>"""


def xxe(target: Path) -> bytes:
    return f"""<?xml version="1.0"?>
<!DOCTYPE Invoice [<!ENTITY secret SYSTEM "file://{target.as_posix()}">]>
<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
 xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">
<cbc:ID>&secret;</cbc:ID></Invoice>""".encode()


def with_attachment(pdf: bytes, name: str, data: bytes) -> bytes:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    document.new_attachment(name).set_data(data)
    buffer = io.BytesIO()
    document.save(buffer)
    document.close()
    return buffer.getvalue()


@pytest.mark.parametrize("file_name", sorted(EXPECTED))
def test_public_examples_are_read_exactly(file_name: str) -> None:
    expected = EXPECTED[file_name]
    result = extract_source(DocumentSource.from_path(FOLDER / file_name))
    assert result.extras["read_from"] == "e-invoice"
    assert result.extras["e_invoice"]["syntax"] == expected["syntax"]
    for key, field in result.fields.items():
        if key in expected["fields"]:
            assert field.value == expected["fields"][key], key
            assert field.confidence == 1.0
            assert result.extras["values_from"][key] == "e-invoice"
        elif file_name.endswith(".xml"):
            assert field.value is None, key  # nothing but the XML to read
    rows = [{k: c.value for k, c in row.items()} for row in result.tables["line_items"]]
    if not expected["line_items"] and file_name.endswith(".pdf"):
        # The XML has no line items (BASIC WL): the page text's rows stay, not claimed as exact.
        assert "line_items" not in result.extras["values_from"]
        assert all(c.confidence != 1.0 for row in result.tables["line_items"] for c in row.values())
        return
    assert rows == expected["line_items"]
    assert all(c.confidence == 1.0 for row in result.tables["line_items"] for c in row.values())


def test_pdf_keeps_boxes_where_the_page_shows_the_same_value() -> None:
    result = extract_source(
        DocumentSource.from_path(FOLDER / "MustangGnuaccountingBeispielRE-20170509_505.pdf")
    )
    assert result.extras["e_invoice"]["attachment"] == "ZUGFeRD-invoice.xml"
    assert result.fields["invoice_number"].box is not None
    assert result.fields["invoice_number"].page == 0


def test_xml_document_through_the_provider_and_the_cli(tmp_path: Path) -> None:
    source = DocumentSource.from_path(FOLDER / "XRECHNUNG_Einfach.ubl.xml")
    assert source.content_type == "application/xml"
    info = LocalProvider({}).upload(source)
    assert info.pages is None
    run = run_docrelay(
        "extract",
        str(FOLDER / "XRECHNUNG_Einfach.ubl.xml"),
        "--provider",
        "local",
        env=isolated_env(tmp_path),
    )
    assert run.exit_code == 0, run.stderr
    result = run.document["data"]
    assert result["fields"]["total_amount"]["value"] == "529.87"
    assert result["extras"]["read_from"] == "e-invoice"


@pytest.mark.parametrize(
    ("xml", "reason"),
    [
        (b"<rsm:CrossIndustryInvoice xmlns:rsm='urn:x'><broken", "the XML is malformed"),
        (
            b"<?xml version='1.0'?><note><to>Tove</to></note>",
            "the XML is not an e-invoice (its root is <note>)",
        ),
        (BILLION_LAUGHS, "the XML declares a DTD or entities, which are refused"),
    ],
)
def test_unusable_embedded_xml_falls_back_to_the_page_text(xml: bytes, reason: str) -> None:
    result = extract_bytes(with_attachment(text_pdf(), "factur-x.xml", xml), "with-xml.pdf")
    assert result.extras["read_from"] == "text layer"
    assert result.fields["invoice_number"].value == "T-1001"
    (warning,) = result.extras["warnings"]
    assert warning.startswith(f"The embedded factur-x.xml was not used: {reason}")
    assert "The values come from the page text." in warning


def test_a_good_attachment_is_used_after_a_bad_one() -> None:
    good = (FOLDER / "XRECHNUNG_Einfach.ubl.xml").read_bytes()
    pdf = with_attachment(with_attachment(text_pdf(), "notes.xml", b"<notes/>"), "factur-x.xml", good)
    result = extract_bytes(pdf, "two-xml.pdf")
    assert result.extras["read_from"] == "e-invoice"
    assert result.fields["invoice_number"].value == "471102"


def test_hostile_xml_documents_are_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-CONTENT")
    for name, data in (("laughs.xml", BILLION_LAUGHS), ("xxe.xml", xxe(secret))):
        path = tmp_path / name
        path.write_bytes(data)
        run = capped_extract(path, tmp_path)
        assert run.exit_code == 4, run.stderr
        message = run.error["message"]
        assert f"{name} cannot be read as an e-invoice: the XML declares a DTD or entities" in message
        assert "TOP-SECRET-CONTENT" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (
            b"<?xml version='1.0'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'>",
            "malformed",
        ),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "not an e-invoice"),
        (
            b"<Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>",
            "neither an invoice number",
        ),
    ],
)
def test_broken_or_unknown_xml_documents_get_a_clear_error(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        extract_bytes(data, "doc.xml")
    assert reason in caught.value.full_message
    assert "UBL" in caught.value.full_message and "CII" in caught.value.full_message


def test_xml_size_limit() -> None:
    from core.providers.local import einvoice

    with pytest.raises(EInvoiceError, match="more than an invoice needs"):
        read_einvoice(b"<a>" + b" " * (einvoice.MAX_XML_BYTES + 1) + b"</a>")


def test_services_refuse_xml_before_sending_anything() -> None:
    source = DocumentSource.from_path(FOLDER / "XRECHNUNG_Einfach.ubl.xml")
    provider = CradlProvider({"client_id": "x", "client_secret": "y", "api_url": "http://127.0.0.1:9"})
    with pytest.raises(InputError) as caught:
        provider.upload(source)
    assert "is an XML e-invoice, which the cradl service does not read" in caught.value.full_message
    assert "--provider local" in caught.value.full_message


@pytest.mark.parametrize(
    ("provider", "settings"),
    [
        (
            "cradl",
            {
                "CLIENT_ID": "id",
                "CLIENT_SECRET": "secret",
                "API_URL": "http://127.0.0.1:9/v1",
                "AUTH_URL": "http://127.0.0.1:9/token",
            },
        ),
        ("contractfit", {"URL": "http://127.0.0.1:9", "API_KEY": "key", "INBOX": "invoices"}),
        ("deepopinion", {"URL": "http://127.0.0.1:9", "TOKEN": "token", "ORGANIZATION": "1", "PROJECT": "2"}),
    ],
)
def test_services_refuse_xml_from_the_cli(provider: str, settings: dict[str, str], tmp_path: Path) -> None:
    """Refused before any connection: the services' URLs point at a closed port, so trying would be a
    network error (exit 9), not this input error (exit 4)."""
    env = isolated_env(tmp_path, **{f"DOCRELAY_{provider.upper()}_{k}": v for k, v in settings.items()})
    xml = str(FOLDER / "XRECHNUNG_Einfach.ubl.xml")
    run = run_docrelay("extract", xml, "--provider", provider, "--model", MODELS[provider], env=env)
    assert run.exit_code == 4, run.stdout
    assert f"is an XML e-invoice, which the {provider} service does not read" in run.error["message"]


def test_a_custom_model_takes_what_the_xml_has_and_the_rest_from_the_page(tmp_path: Path) -> None:
    model = tmp_path / "payables.json"
    fields = {
        "total_amount": {"type": "amount"},
        "invoice_number": {"type": "string"},
        "buyer_reference": {"type": "string", "labels": ["Code service"]},
    }
    model.write_text(json.dumps({"fieldConfig": fields}), encoding="utf-8")
    result = extract_source(DocumentSource.from_path(FOLDER / "Facture_F20180027.pdf"), str(model))
    assert result.fields["total_amount"].value == "110.00" and result.fields["total_amount"].confidence == 1.0
    assert result.fields["invoice_number"].value == "F20180027"
    assert "buyer_reference" in result.fields and "buyer_reference" not in result.extras["values_from"]
    confidence = result.fields["buyer_reference"].confidence
    assert confidence is None or confidence < 1.0
    assert set(result.extras["values_from"]) == {"total_amount", "invoice_number"}
