"""Models as Cradl fieldConfig JSON: the built-in invoice file and users' own files (with tables)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from reportlab.pdfgen.canvas import Canvas

from core.providers.local import LocalProvider, extract_bytes
from core.providers.local.modelspec import MODELS_DIR, load_model
from tests.local_fixtures import SAMPLES, make_pdf, text

ORDER_MODEL: dict[str, Any] = {
    "fieldConfig": {
        "order_number": {"type": "string", "name": "Order number", "maxLength": 20},
        "order_date": {"type": "date", "description": "Date of the order"},
        "customer_id": {"type": "digits", "name": "Customer ID"},
        "priority": {"type": "enum", "enum": ["Low", "Normal", "High"], "name": "Priority"},
        "gross_weight": {"type": "numeric", "name": "Gross weight"},
        "shipping": {"type": "amount", "description": "Freight charge"},
        "carrier": {"type": "string", "labels": ["Shipped via", "Spediteur"]},
        "items": {
            "type": "lines",
            "name": "Ordered items",
            "fields": {
                "article": {"type": "string", "name": "Article"},
                "pieces": {"type": "numeric", "name": "Pieces"},
                "price": {"type": "amount", "name": "Price"},
            },
        },
    }
}


def order_page(canvas: Canvas) -> None:
    text(canvas, 50, 800, "PURCHASE ORDER", 16, bold=True)
    for i, (label, value) in enumerate(
        [
            ("Order number:", "PO-5521"),
            ("Order date:", "02.03.2026"),
            ("Customer ID:", "10 20 30"),
            ("Priority:", "High"),
            ("Gross weight:", "12,5 kg"),
            ("Freight charge:", "35,00"),
            ("Shipped via:", "Nordic Freight"),
        ]
    ):
        text(canvas, 50, 760 - 14 * i, label)
        text(canvas, 160, 760 - 14 * i, value)
    text(canvas, 50, 630, "Article", bold=True)
    text(canvas, 330, 630, "Pieces", bold=True, right=True)
    text(canvas, 450, 630, "Price", bold=True, right=True)
    for i, (article, pieces, price) in enumerate(
        [("Hex bolt M8", "200", "0,12"), ("Washer 8 mm", "400", "0,03")]
    ):
        text(canvas, 50, 614 - 14 * i, article)
        text(canvas, 330, 614 - 14 * i, pieces, right=True)
        text(canvas, 450, 614 - 14 * i, price, right=True)
    text(canvas, 300, 570, "Total")
    text(canvas, 450, 570, "36,00", right=True)


@pytest.fixture
def order_pdf() -> bytes:
    return make_pdf(order_page)


def write_model(path: Path, model: Any) -> str:
    path.write_text(json.dumps(model), encoding="utf-8")
    return str(path)


def test_custom_field_config_model(tmp_path: Path, order_pdf: bytes) -> None:
    model = write_model(tmp_path / "orders.json", ORDER_MODEL)
    result = extract_bytes(order_pdf, "order.pdf", model=model)
    values = {key: field.value for key, field in result.fields.items()}
    assert values == {
        "order_number": "PO-5521",
        "order_date": "2026-03-02",
        "customer_id": "102030",
        "priority": "High",
        "gross_weight": "12.5",
        "shipping": "35.00",
        "carrier": "Nordic Freight",
    }
    assert result.model == model
    rows = [{key: cell.value for key, cell in row.items()} for row in result.tables["items"]]
    assert rows == [
        {"article": "Hex bolt M8", "pieces": "200", "price": "0.12"},
        {"article": "Washer 8 mm", "pieces": "400", "price": "0.03"},
    ]
    # A label taken from the description alone is weaker than one from the name.
    shipping, number = result.fields["shipping"].confidence, result.fields["order_number"].confidence
    assert shipping is not None and number is not None and shipping < number


def test_bare_field_config_object(tmp_path: Path, order_pdf: bytes) -> None:
    model = write_model(tmp_path / "bare.json", {"order_number": ORDER_MODEL["fieldConfig"]["order_number"]})
    result = extract_bytes(order_pdf, "order.pdf", model=model)
    assert list(result.fields) == ["order_number"]
    assert result.fields["order_number"].value == "PO-5521"
    assert result.tables == {}


def test_custom_model_borrows_invoice_labels(tmp_path: Path) -> None:
    model = write_model(
        tmp_path / "mini.json",
        {"fieldConfig": {"total_amount": {"type": "amount"}, "due_date": {"type": "date"}}},
    )
    result = extract_bytes((SAMPLES / "rechnung-mueller-de.pdf").read_bytes(), "r.pdf", model=model)
    assert result.fields["total_amount"].value == "859.06"  # "Gesamtbetrag", a built-in synonym
    assert result.fields["due_date"].value == "2026-03-28"  # "Fällig am"


def test_model_changes_change_the_prediction_id(tmp_path: Path, order_pdf: bytes) -> None:
    path = tmp_path / "orders.json"
    first = extract_bytes(order_pdf, "order.pdf", model=write_model(path, ORDER_MODEL))
    changed = json.loads(json.dumps(ORDER_MODEL))
    changed["fieldConfig"]["order_number"]["maxLength"] = 30
    second = extract_bytes(order_pdf, "order.pdf", model=write_model(tmp_path / "orders2.json", changed))
    assert first.prediction_id != second.prediction_id
    again = extract_bytes(order_pdf, "order.pdf", model=str(path))
    assert again.prediction_id == first.prediction_id


def test_builtin_invoice_model_is_a_field_config_file() -> None:
    data = json.loads((MODELS_DIR / "invoice.json").read_text(encoding="utf-8"))
    config = data["fieldConfig"]
    assert {k: v["type"] for k, v in config.items()} == {
        "invoice_number": "string",
        "invoice_date": "date",
        "due_date": "date",
        "total_amount": "amount",
        "vat_amount": "amount",
        "currency": "enum",
        "supplier_name": "string",
        "iban": "string",
        "line_items": "lines",
    }
    assert set(config["line_items"]["fields"]) == {"description", "quantity", "unit_price", "amount"}
    spec = load_model("invoice")
    assert spec.builtin and spec.id == "invoice"
    assert load_model(str(MODELS_DIR / "invoice.json")).fields == spec.fields


def test_list_models() -> None:
    models = LocalProvider({}).list_models()
    assert [m.id for m in models] == ["invoice"]
    invoice = models[0]
    assert invoice.provider == "local"
    assert "line_items" in invoice.fields and "total_amount" in invoice.fields
    assert "fieldConfig JSON" in invoice.extras["note"]
