"""contract.fit documents -> the normalized result, and the rule that says when a document is done.

The spec types `prediction` as a bare object and has no status field, so both halves are readings
of the spec's other models (see docs/providers/contractfit.md):

- the full shape mirrors the feedback models (`VersionPost`): `annotations` = {field: [atom]},
  `lines` = {table: [{column: atom}]}, `sections` = [SectionAtom]; an atom carries `gold` (the
  value), `text` (as written), and, when the service sends them, `confidence` and `page`;
- the key-value shape (`key_value_flag=true`: "a mapping of prediction = value") is
  {field: value}, with tables as {table: [{column: value}]}.

Geometry (`textual_coord` / `visual_coord`, six integers of undocumented meaning) is not turned into
boxes; it stays in `raw`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from core.models import Candidate, Cell, DocumentInfo, FieldValue, Result, ResultError, TableRow

DocumentState = Literal["pending", "succeeded", "failed"]

FAILED_MESSAGE = (
    "contract.fit finished processing the document without success (status_data.success is false)"
)
_VALUE_KEYS = ("gold", "value", "prediction", "text")
_EXTRA_KEYS = ("inbox", "last_version", "flag_for_review")


def document_state(document: Mapping[str, Any], *, previous_done_time: str | None = None) -> DocumentState:
    """Whether contract.fit has finished a document, from `timings` and `status_data` alone.

    The spec has no completion flag, so this is the one place that decides:

    1. `timings.done_time` not set (missing, null or empty) -> "pending"; `status_data.success`
       is false while a document is processed, so it means nothing before then. Exception: a
       document that already says `status_data.success: true` is done even without timings.
    2. `done_time` equal to `previous_done_time` -> "pending": a reprocessed document still shows
       its previous run's time until the new run finishes.
    3. `done_time` set and `status_data.success` false -> "failed"; with `success` absent,
       `status_data.data` false also means failed.
    4. Otherwise -> "succeeded" (`success` or `data` true, or neither flag sent).
    """
    status_data = document.get("status_data")
    flags = status_data if isinstance(status_data, Mapping) else {}
    timings = document.get("timings")
    done_time = timings.get("done_time") if isinstance(timings, Mapping) else None
    success = flags.get("success")
    if not done_time:
        return "succeeded" if success is True and previous_done_time is None else "pending"
    if previous_done_time is not None and str(done_time) == previous_done_time:
        return "pending"
    if success is False or (success is None and flags.get("data") is False):
        return "failed"
    return "succeeded"


def done_time_of(document: Mapping[str, Any]) -> str | None:
    timings = document.get("timings")
    done_time = timings.get("done_time") if isinstance(timings, Mapping) else None
    return str(done_time) if done_time else None


# -- values -----------------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    return None


def _confidence(atom: Mapping[str, Any]) -> float | None:
    """0..1; a value above 1 is read as a percentage (SectionAtom's confidence is an integer)."""
    value = atom.get("confidence")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    if number > 1.0:
        number /= 100.0
    return min(1.0, max(0.0, number))


def _page(atom: Mapping[str, Any]) -> int | None:
    page = atom.get("page")
    return page if isinstance(page, int) and not isinstance(page, bool) and page >= 0 else None


def _is_atom(item: Any) -> bool:
    return isinstance(item, Mapping) and any(key in item for key in _VALUE_KEYS)


def _atom_value(atom: Mapping[str, Any]) -> str | None:
    for key in _VALUE_KEYS:
        if key in atom and _text(atom[key]) is not None:
            return _text(atom[key])
    return None


def _raw_value(atom: Mapping[str, Any]) -> str | None:
    return _text(atom.get("text")) if "text" in atom else None


def _ranked(items: list[Any]) -> list[Mapping[str, Any]]:
    atoms = [item if isinstance(item, Mapping) else {"value": item} for item in items]
    usable = [a for a in atoms if _is_atom(a)]
    return sorted(usable, key=lambda a: -(_confidence(a) or 0.0))


def _field(entry: Any) -> FieldValue | None:
    """A field from an atom, a list of atoms (candidates), a scalar or a list of scalars."""
    items = entry if isinstance(entry, list) else [entry]
    ranked = _ranked([i for i in items if i is not None])
    if not ranked:
        return None
    best = ranked[0]
    return FieldValue(
        value=_atom_value(best),
        confidence=_confidence(best),
        page=_page(best),
        raw_value=_raw_value(best),
        candidates=[Candidate(value=_atom_value(a), confidence=_confidence(a), page=_page(a)) for a in ranked]
        if len(ranked) > 1 or _confidence(best) is not None
        else [],
    )


def _cell(entry: Any) -> Cell | None:
    field = _field(entry)
    if field is None:
        return None
    return Cell(value=field.value, confidence=field.confidence, page=field.page, raw_value=field.raw_value)


def _row(line: Mapping[str, Any]) -> TableRow:
    row: TableRow = {}
    for column, entry in line.items():
        cell = _cell(entry)
        if cell is not None:
            row[str(column)] = cell
    return row


def _is_table(entry: Any) -> bool:
    """A list of lines: maps of column -> value or atom (an atom itself is a field candidate)."""
    return (
        isinstance(entry, list)
        and bool(entry)
        and all(isinstance(line, Mapping) and not _is_atom(line) for line in entry)
    )


def _is_full_shape(prediction: Mapping[str, Any]) -> bool:
    return isinstance(prediction.get("annotations"), Mapping) or isinstance(prediction.get("lines"), Mapping)


def parse_prediction(prediction: Any) -> tuple[dict[str, FieldValue], dict[str, list[TableRow]]]:
    """Fields and tables from either prediction shape; anything unrecognised is left to `raw`."""
    fields: dict[str, FieldValue] = {}
    tables: dict[str, list[TableRow]] = {}
    if not isinstance(prediction, Mapping):
        return fields, tables
    if _is_full_shape(prediction):
        annotations = prediction.get("annotations")
        entries: Mapping[str, Any] = annotations if isinstance(annotations, Mapping) else {}
        lines = prediction.get("lines")
        for table, rows in (lines if isinstance(lines, Mapping) else {}).items():
            if isinstance(rows, list):
                tables[str(table)] = [_row(line) for line in rows if isinstance(line, Mapping)]
    else:
        entries = prediction
    for name, entry in entries.items():
        if entry is None:  # a key-value field the service did not find
            fields[str(name)] = FieldValue(value=None)
            continue
        if _is_table(entry):
            tables[str(name)] = [_row(line) for line in entry]
            continue
        field = _field(entry)
        if field is not None:
            fields[str(name)] = field
    return fields, tables


def normalize_document(
    document: Mapping[str, Any],
    info: DocumentInfo,
    *,
    model: str | None,
    previous_done_time: str | None = None,
    raw: Any | None = None,
) -> Result:
    """A contract.fit `DocumentModelGet` (or a sync upload's reply) as the normalized result."""
    status = document_state(document, previous_done_time=previous_done_time)
    fields, tables = parse_prediction(document.get("prediction")) if status == "succeeded" else ({}, {})
    page_count = document.get("page_count")
    pages = page_count if isinstance(page_count, int) and page_count > 0 else info.pages
    document_id = _text(document.get("id")) or info.id
    return Result(
        provider="contractfit",
        model=_text(document.get("inbox")) or model,
        status=status,
        error=ResultError(type="job_failed", message=FAILED_MESSAGE) if status == "failed" else None,
        document=info.model_copy(update={"id": document_id, "pages": pages}),
        fields=fields,
        tables=tables,
        extras={k: document[k] for k in _EXTRA_KEYS if document.get(k) is not None},
        raw=dict(document) if raw is None else raw,
    )
