"""Cradl's prediction shapes built from a normalized Result: the page window of one call, the v1
list, the v2 map (grouped from v1 as the vendor's converter does), and workflow output values."""

from __future__ import annotations

import re
from typing import Any

from core.models import Candidate, FieldValue, Result
from tests.emulators.base import ApiError

# The spec requires a confidence on every v1 item; the engine may give none.
DEFAULT_CONFIDENCE = 0.5
_LABEL = re.compile(r"[^0-9A-Za-z_-]")


def page_window(
    page_count: int, preprocess: dict[str, Any], postprocess: dict[str, Any], pages_per_call: int
) -> tuple[list[int], int | None]:
    """The pages one POST /predictions covers and the `nextPage` to answer.

    `pages` picks pages (negative counts from the end; no nextPage). Otherwise the window starts at
    `startPage` (default 0) and spans `pages_per_call` pages, or `n` for BEST_N_PAGES, capped by
    `maxPages`; nextPage is the first page after it while pages remain.
    """
    chosen = preprocess.get("pages")
    if chosen:
        resolved = sorted({p + page_count if p < 0 else p for p in chosen if -page_count <= p < page_count})
        if not resolved:
            raise ApiError(400, f"None of the pages {chosen} exist in a document of {page_count} page(s)")
        return resolved, None
    start = int(preprocess.get("startPage", 0))
    if start < 0:
        start += page_count
    if not 0 <= start < page_count:
        raise ApiError(
            400,
            f"startPage {preprocess.get('startPage')} is out of range for a document of {page_count} page(s)",
        )
    window = pages_per_call
    if postprocess.get("strategy") == "BEST_N_PAGES":
        window = int(postprocess.get("parameters", {}).get("n", 1))
    if preprocess.get("maxPages"):
        window = min(window, int(preprocess["maxPages"]))
    end = min(page_count, start + max(1, window))
    return list(range(start, end)), end if end < page_count else None


def label(name: str) -> str:
    return (_LABEL.sub("_", name) or "field")[:36]


def _text(value: str | None) -> str | None:
    return value[:1024] if value else None


def _item(name: str, value: str | None, confidence: float | None, page: int) -> dict[str, Any]:
    return {
        "label": label(name),
        "value": _text(value),
        "confidence": DEFAULT_CONFIDENCE if confidence is None else confidence,
        "page": page,
        "source": "model",
    }


def _field_items(name: str, field: FieldValue, pages: set[int]) -> list[dict[str, Any]]:
    top_page = field.page or 0
    candidates = field.candidates or [
        Candidate(value=field.value, confidence=field.confidence, page=field.page)
    ]
    items: list[dict[str, Any]] = []
    detailed = False
    for candidate in candidates:
        page = candidate.page if candidate.page is not None else top_page
        if page not in pages:
            continue
        item = _item(name, candidate.value, candidate.confidence, page)
        if not detailed and candidate.value == field.value and page == top_page:
            detailed = True  # raw text and box belong to the best candidate
            if field.raw_value:
                item["rawValue"] = field.raw_value[:1024]
            if field.box is not None:
                item["location"] = [float(c) for c in field.box]
        items.append(item)
    return items


def to_v1(result: Result, pages: list[int], collapse: bool = False) -> list[dict[str, Any]]:
    wanted = set(pages)
    items: list[dict[str, Any]] = []
    for name, field in result.fields.items():
        found = _field_items(name, field, wanted)
        if collapse and found:
            found = [max(found, key=lambda item: item["confidence"])]
        items.extend(found)
    for table, rows in result.tables.items():
        by_page: dict[int, list[list[dict[str, Any]]]] = {}
        for row in rows:
            row_page = next((cell.page for cell in row.values() if cell.page is not None), 0)
            if row_page not in wanted:
                continue
            line = []
            for column, cell in row.items():
                entry = _item(
                    column, cell.value, cell.confidence, cell.page if cell.page is not None else row_page
                )
                if cell.raw_value:
                    entry["rawValue"] = cell.raw_value[:1024]
                if cell.box is not None:
                    entry["location"] = [float(c) for c in cell.box]
                line.append(entry)
            by_page.setdefault(row_page, []).append(line)
        groups = sorted(by_page.items())
        if collapse and groups:
            groups = [(groups[0][0], [line for _, lines in groups for line in lines])]
        items.extend({"label": label(table), "page": page, "value": lines} for page, lines in groups)
    return items


def _ranked(candidates: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(candidates, key=lambda c: -float(c.get("confidence") or 0.0))


def to_v2(items: list[dict[str, Any]]) -> dict[str, Any]:
    """Group v1 items by label, candidates best first and without `label`; lines become line maps."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    tables: set[str] = set()
    for item in items:
        target = grouped.setdefault(item["label"], [])
        if isinstance(item["value"], list):
            tables.add(item["label"])
            for line in item["value"]:
                columns: dict[str, list[dict[str, Any]]] = {}
                for cell in line:
                    columns.setdefault(cell["label"], []).append(
                        {k: v for k, v in cell.items() if k != "label"}
                    )
                target.append({column: _ranked(cells) for column, cells in columns.items()})
        else:
            target.append({k: v for k, v in item.items() if k != "label"})
    return {name: values if name in tables else _ranked(values) for name, values in grouped.items()}


def output_values(result: Result) -> dict[str, Any]:
    """Workflow execution output: a flat {field: value} map, tables as [{column: value}]."""
    values: dict[str, Any] = {label(name): field.value for name, field in result.fields.items()}
    for table, rows in result.tables.items():
        values[label(table)] = [{label(col): cell.value for col, cell in row.items()} for row in rows]
    return values
