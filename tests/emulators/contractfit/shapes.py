"""The `prediction` object the emulator answers with, built from a normalized Result of the engine.

The spec types `prediction` as a bare object. The emulator's shapes are inferences, documented in
tests/emulators/README.md:

- full: from the feedback models (`VersionPost`): `annotations` {field: [atom, ...]} (best first),
  `lines` {table: [{column: atom}]}, `sections` [{page, document_type, confidence}] (SectionAtom, the
  only model with a confidence: an integer, read as a percentage). An atom is
  `{gold, text, confidence, page}` plus `visual_coord` when the engine gave a box: six integers
  `[page, x1, y1, x2, y2, 1000]`, coordinates in thousandths of the page (an invented layout:
  EvaluationAtom only says "6 ints"; docrelay does not read it);
- key-value (`key_value_flag=true`, "a mapping of prediction = value"): {field: value},
  {table: [{column: value}]}.
"""

from __future__ import annotations

from typing import Any

from core.models import Cell, FieldValue, Result


def _coord(page: int | None, box: tuple[float, float, float, float] | None) -> list[int] | None:
    if box is None:
        return None
    return [page or 0, *(round(c * 1000) for c in box), 1000]


def _atom(value: str | None, raw: str | None, confidence: float | None, page: int | None) -> dict[str, Any]:
    atom: dict[str, Any] = {"gold": value, "text": raw if raw is not None else value}
    if confidence is not None:
        atom["confidence"] = round(confidence, 4)
    if page is not None:
        atom["page"] = page
    return atom


def _field_atoms(field: FieldValue) -> list[dict[str, Any]]:
    best = _atom(field.value, field.raw_value, field.confidence, field.page)
    coord = _coord(field.page, field.box)
    if coord is not None:
        best["visual_coord"] = coord
    others = [
        _atom(c.value, None, c.confidence, c.page)
        for c in field.candidates
        if (c.value, c.page) != (field.value, field.page)
    ]
    return [best, *others]


def _cell_atom(cell: Cell) -> dict[str, Any]:
    atom = _atom(cell.value, cell.raw_value, cell.confidence, cell.page)
    coord = _coord(cell.page, cell.box)
    if coord is not None:
        atom["visual_coord"] = coord
    return atom


def full_prediction(result: Result, document_type: str, pages: int) -> dict[str, Any]:
    return {
        "annotations": {name: _field_atoms(field) for name, field in result.fields.items()},
        "lines": {
            table: [{column: _cell_atom(cell) for column, cell in row.items()} for row in rows]
            for table, rows in result.tables.items()
        },
        "sections": [
            {"page": page, "document_type": document_type, "confidence": 95} for page in range(pages)
        ],
    }


def key_value_prediction(result: Result) -> dict[str, Any]:
    mapping: dict[str, Any] = {name: field.value for name, field in result.fields.items()}
    for table, rows in result.tables.items():
        mapping[table] = [{column: cell.value for column, cell in row.items()} for row in rows]
    return mapping
