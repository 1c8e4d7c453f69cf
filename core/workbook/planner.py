"""Plan the writes that bring a workbook up to date with results: one pure function, no I/O.

    plan = plan_workbook(state, results, fields=model_fields, run=run_info, now=datetime.now())
    apply(plan.actions)          # openpyxl for files, Office.js in the add-in

- Documents are upserted: a result goes to the row whose `source` it was read from, else the row with
  its `doc_key`, else a new row (filling the table's empty rows first). Never a duplicate row.
- Only docrelay's columns are written, wherever the user moved them; missing columns are added at the
  table's right edge. Every other column, formula and format is left alone.
- A document's line items are replaced as a block: in place when the count is unchanged, else the old
  rows are deleted and the new ones appended.
- A failed or unfinished document gets its status and error; the values it had are kept.
- A row's `source` is a hyperlink to the document: its source text (a path, absolute or relative to
  the workbook), or the target `links` gives for it (a file the pane uploaded is stored elsewhere).
- Planning the same state and results again gives the same actions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.models import Cell, FieldValue, ModelInfo, Result, TableRow
from core.tabular import doc_key
from core.workbook import actions as act
from core.workbook.actions import Action
from core.workbook.layout import (
    BASE_COLUMNS,
    DOCUMENTS,
    FIELD_THRESHOLDS_LAST_ROW,
    FIELD_THRESHOLDS_NAME,
    FIELD_TYPE_COLUMNS,
    HIDDEN,
    LINE_ITEMS,
    LINE_TABLE,
    LOW_CONFIDENCE_FILL,
    MAX_ROW,
    RUNS,
    SETTINGS,
    SHEETS,
    THRESHOLD_NAME,
    Column,
    area_ref,
    column_letter,
    confidence_column,
    value_column,
)
from core.workbook.state import TableState, WorkbookState
from core.workbook.template import hidden_sheet_actions, repair_actions
from core.workbook.values import Scalar, column_format, decimal_mark, excel_serial, infer_type, typed_cell

MAX_ERROR_TEXT = 250
# Results whose values are written: a result under human review has the service's values meanwhile.
HAS_VALUES = ("succeeded", "needs_review")
# Where a person reviews a needs_review document (a hyperlink); added when a result first has one.
REVIEW_COLUMN = Column("review", "review_link", "link")
_COLUMN_TYPES = ("amount", "number", "integer", "date", "datetime", "text")
_NUMERIC_TYPES = ("amount", "number", "integer")


@dataclass(frozen=True)
class FieldDef:
    """A field of the model: its name and its type in the model (amount, date, string...; "" unknown)."""

    name: str
    type: str = ""


@dataclass(frozen=True)
class RunInfo:
    """One line of the Runs sheet."""

    started: datetime
    finished: datetime
    provider: str | None
    model: str | None
    from_journal: int
    version: str


@dataclass
class Plan:
    actions: list[Action]
    rows_added: int = 0
    rows_updated: int = 0
    line_items: int = 0
    truncated: int = 0
    statuses: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, object]:
        return {
            "rows_added": self.rows_added,
            "rows_updated": self.rows_updated,
            "line_items": self.line_items,
            "cells_truncated": self.truncated,
            "statuses": dict(sorted(self.statuses.items())),
        }


def plan_workbook(
    state: WorkbookState,
    results: Sequence[Result],
    *,
    now: datetime,
    fields: Sequence[FieldDef] = (),
    line_fields: Sequence[FieldDef] = (),
    run: RunInfo | None = None,
    settings: dict[str, str | None] | None = None,
    links: Mapping[str, str] | None = None,
) -> Plan:
    """The actions that write `results` into the workbook described by `state` (see module doc);
    `links` maps a source text to its hyperlink's target where that is not the text itself."""
    missing = list(SHEETS) if state.is_new else [s for s in SHEETS if s not in state.sheets]
    plan = Plan(actions=repair_actions(missing, settings or {}))
    sheets = _Sheets(state, plan.actions)
    documents = sheets.table(DOCUMENTS, state.documents)
    lines = sheets.table(LINE_ITEMS, state.line_items)
    doc_fields = _field_defs(fields, (r.fields.items() for r in results))
    documents.ensure_fields(doc_fields, per_field_threshold=True)
    line_defs = _field_defs(line_fields, (line.items() for r in results for line in _line_rows(r)))
    lines.ensure_fields(line_defs, per_field_threshold=False)
    _write_documents(plan, documents, state, results, now, links or {})
    _write_line_items(plan, lines, results)
    if run is not None:
        runs = sheets.table(RUNS, state.runs)
        runs.write_rows([_run_row(run, plan)], at=runs.append_row)
        runs.finish()
    documents.finish()
    lines.finish()
    _add_threshold_rows(plan.actions, state, [f.name for f in doc_fields])
    if sheets.columns_changed or HIDDEN in missing:
        plan.actions.extend(hidden_sheet_actions(sheets.column_maps()))
    return plan


# -- columns ---------------------------------------------------------------------------------------
def _field_defs(
    model: Sequence[FieldDef], met: Iterable[Iterable[tuple[str, FieldValue | Cell]]]
) -> list[FieldDef]:
    """The model's fields in its order (tables left out), then fields met in results, each once; a
    field the model gives no type gets the type its first value suggests."""
    out: dict[str, FieldDef] = {}
    for item in model:
        if item.type != "lines" and item.name not in out:
            out[item.name] = item
    typed = {name for name, item in out.items() if item.type}
    for found in met:
        for name, field_value in found:
            if name in typed:
                continue
            kind = infer_type(field_value.value)
            if kind:
                typed.add(name)
                out[name] = FieldDef(name, kind)
            elif name not in out:
                out[name] = FieldDef(name)
    return list(out.values())


def _column_type(item: FieldDef) -> str:
    """The sheet column type of a field: "auto" until a model or a value tells."""
    if item.type in FIELD_TYPE_COLUMNS:
        return FIELD_TYPE_COLUMNS[item.type]
    if item.type in _COLUMN_TYPES:
        return item.type
    return "text" if item.type else "auto"


def field_defs_of(model: ModelInfo) -> tuple[list[FieldDef], list[FieldDef]]:
    """A model's fields and its line-item columns, with their types, in the model's order."""
    types = model.field_types
    fields = [FieldDef(name, types.get(name, "")) for name in model.fields]
    tables = [name for name in model.fields if types.get(name) == "lines"]
    table = LINE_TABLE if LINE_TABLE in tables else next(iter(tables), None)
    prefix = f"{table}."
    lines = [
        FieldDef(key[len(prefix) :], kind) for key, kind in types.items() if table and key.startswith(prefix)
    ]
    return fields, lines


class _Sheets:
    def __init__(self, state: WorkbookState, actions: list[Action]) -> None:
        self.state = state
        self.actions = actions
        self.tables: dict[str, _Table] = {}
        self.columns_changed = False

    def table(self, sheet: str, table_state: TableState) -> _Table:
        if sheet not in self.tables:
            self.tables[sheet] = _Table(self, sheet, table_state, self.state.column_map(sheet))
        return self.tables[sheet]

    def column_maps(self) -> dict[str, list[Column]]:
        maps = {sheet: list(self.state.column_map(sheet)) for sheet in (DOCUMENTS, LINE_ITEMS, RUNS)}
        for sheet, table in self.tables.items():
            maps[sheet] = table.columns
        return maps


class _Table:
    """One table while planning: where each docrelay column is, and the rows written so far."""

    def __init__(self, sheets: _Sheets, sheet: str, state: TableState, columns: list[Column]) -> None:
        self.sheets = sheets
        self.sheet = sheet
        self.state = state
        self.columns = list(columns)
        self._types: dict[str, str] = {}
        self._fields: list[tuple[str, str, str, str]] | None = None  # once columns are settled
        self._numeric: set[str] | None = None
        self.headers: list[str | None] = list(state.headers) if state.exists else []
        if not state.exists:
            self.headers = [c.header for c in BASE_COLUMNS[sheet]]
        self.width_before = len(self.headers)
        self.position: dict[str, int] = {}
        for column in self.columns:
            self._place(column)
        for column in BASE_COLUMNS[sheet]:
            if column.key not in self.position:
                self._add_column(column)
        self.rows = len(state.keys)  # data rows, before any change
        self.used = _used_rows(state)
        self.append_row = state.header_row + 1 + self.used
        self.last_row = max(state.header_row + self.rows, self.append_row - 1)

    def _place(self, column: Column) -> None:
        for index, header in enumerate(self.headers):
            if header == column.header:
                self.position[column.key] = self.state.first_column + index
                return

    def ensure_column(self, column: Column) -> None:
        """A docrelay column found by its header, else added at the table's right edge."""
        self._place(column)
        if column.key not in self.position:
            self._add_column(column)

    def _forget_columns(self) -> None:
        self._types, self._fields, self._numeric = {}, None, None

    def _add_column(self, column: Column) -> int:
        self._forget_columns()
        self.headers.append(column.header)
        where = self.state.first_column + len(self.headers) - 1
        self.position[column.key] = where
        if column.key not in {c.key for c in self.columns}:
            self.columns.append(column)
        self.sheets.columns_changed = True
        self.sheets.actions.append(
            act.set_values(self.sheet, self.state.header_row, where, [[column.header]])
        )
        self.sheets.actions.append(act.style_header(self.sheet, self.state.header_row, where, 1))
        self.sheets.actions.append(
            act.set_column_width(self.sheet, where, 14 if column.type == "confidence" else 16)
        )
        return where

    def field_columns(self) -> list[tuple[str, str, str, str]]:
        """(field, value key, confidence key, column type) of every field column."""
        if self._fields is None:
            self._fields = [
                (c.key[len("field:") :], c.key, "conf:" + c.key[len("field:") :], c.type)
                for c in self.columns
                if c.key.startswith("field:")
            ]
        return self._fields

    def numeric_fields(self) -> set[str]:
        """Fields whose numbers tell the document's decimal mark (dates would mislead)."""
        return {
            name for name, _, _, type_ in self.field_columns() if type_ in ("amount", "number", "integer")
        }

    def type_of(self, key: str) -> str:
        if len(self._types) != len(self.columns):
            self._types = {column.key: column.type for column in self.columns}
        return self._types.get(key, "text")

    def ensure_fields(self, items: Sequence[FieldDef], *, per_field_threshold: bool) -> None:
        reserved = tuple(c.header for c in BASE_COLUMNS[self.sheet])
        for item in items:
            value = value_column(item.name, _column_type(item), reserved)
            known = next((c for c in self.columns if c.key == value.key), None)
            if known is not None:
                if known.type == "auto" and value.type != "auto":  # a value has told its type now
                    self.columns[self.columns.index(known)] = value
                    self._forget_columns()
                    self.sheets.columns_changed = True
                else:
                    value = known
                self._place(value)
            confidence = confidence_column(item.name, reserved)
            self._place(confidence)
            added = False
            for column in (value, confidence):
                if column.key not in self.position:
                    self._add_column(column)
                    added = True
            if added:
                self._highlight(item.name, value.key, confidence.key, per_field_threshold)

    def _highlight(self, name: str, value_key: str, confidence_key: str, per_field: bool) -> None:
        first = self.state.header_row + 1
        conf = f"${column_letter(self.position[confidence_key])}{first}"
        threshold = THRESHOLD_NAME
        if per_field:
            quoted = name.replace('"', '""')
            lookup = f'VLOOKUP("{quoted}",{FIELD_THRESHOLDS_NAME},2,FALSE)'
            threshold = f"IFERROR(1/(1/{lookup}),{THRESHOLD_NAME})"  # blank or 0: the default
        letter = column_letter(self.position[value_key])
        self.sheets.actions.append(
            act.add_highlight_rule(
                self.sheet,
                f"{letter}{first}:{letter}{MAX_ROW}",
                f"AND(ISNUMBER({conf}),{conf}<{threshold})",
                LOW_CONFIDENCE_FILL,
            )
        )

    def write_rows(self, rows: Sequence[dict[str, Scalar]], *, at: int) -> None:
        """Cells of docrelay's columns for consecutive rows from `at`, in as few blocks as possible."""
        blocks = _blocks(self.sheet, rows, at, self.position, self.type_of)
        self.sheets.actions.extend(blocks)
        self.append_row = max(self.append_row, at + len(rows))
        self.last_row = max(self.last_row, self.append_row - 1)

    def finish(self) -> None:
        """Resize the table when rows or columns changed (always at least one data row)."""
        bottom = max(self.last_row, self.state.header_row + 1)
        right = self.state.first_column + len(self.headers) - 1
        before = self.state.table_bottom or self.state.header_row + max(self.rows, 1)
        unchanged = self.state.exists and len(self.headers) == self.width_before and bottom == before
        if unchanged:
            return
        ref = area_ref(self.state.header_row, self.state.first_column, bottom, right)
        if not self.state.exists:
            return _replace_table_ref(self.sheets.actions, self.sheet, ref)
        self.sheets.actions.append(act.resize_table(self.sheet, self.state.table, ref))


def _replace_table_ref(actions: list[Action], sheet: str, ref: str) -> None:
    """A table the layout has just added: give it its final size at once."""
    for action in actions:
        if action["op"] == "addTable" and action["sheet"] == sheet:
            action["ref"] = ref


def _used_rows(state: TableState) -> int:
    """Data rows up to the last one docrelay or the user put a document in (trailing empty rows are free)."""
    for index in range(len(state.keys) - 1, -1, -1):
        source = state.sources[index] if index < len(state.sources) else None
        if state.keys[index] or source:
            return index + 1
    return 0


def _blocks(
    sheet: str,
    rows: Sequence[dict[str, Scalar]],
    first_row: int,
    position: dict[str, int],
    type_of: Callable[[str], str],
) -> list[Action]:
    """setValues actions: each row split into runs of adjacent columns; consecutive rows with the
    same runs share one action."""
    actions: list[Action] = []
    open_runs: dict[tuple[int, int], Action] = {}
    previous: set[tuple[int, int]] = set()
    layouts: dict[tuple[str, ...], list[list[str]]] = {}  # rows with the same keys share one layout
    for offset, row in enumerate(rows):
        keys = tuple(row)
        runs = layouts.get(keys)
        if runs is None:
            runs = layouts[keys] = _runs(keys, position)
        current: set[tuple[int, int]] = set()
        for run in runs:
            signature = (position[run[0]], len(run))
            values = [row[key] for key in run]
            block = open_runs.get(signature) if signature in previous else None
            if block is not None and block["row"] + len(block["values"]) == first_row + offset:
                block["values"].append(values)
            else:
                formats = [column_format(type_of(key)) for key in run]
                block = act.set_values(sheet, first_row + offset, signature[0], [values], formats)
                actions.append(block)
                open_runs[signature] = block
            current.add(signature)
        previous = current
    return actions


def _runs(keys: tuple[str, ...], position: dict[str, int]) -> list[list[str]]:
    """The keys in column order, split where a column is skipped."""
    placed = sorted((position[key], key) for key in keys if key in position)
    runs: list[list[str]] = []
    last = -1
    for column, key in placed:
        if runs and column == last + 1:
            runs[-1].append(key)
        else:
            runs.append([key])
        last = column
    return runs


# -- documents --------------------------------------------------------------------------------------
def _write_documents(
    plan: Plan,
    table: _Table,
    state: WorkbookState,
    results: Sequence[Result],
    now: datetime,
    link_targets: Mapping[str, str],
) -> None:
    by_source: dict[str, int] = {}
    by_key: dict[str, int] = {}
    first = table.state.header_row + 1
    for index, key in enumerate(table.state.keys):
        source = table.state.sources[index] if index < len(table.state.sources) else None
        if source and source not in by_source:
            by_source[source] = first + index
        if key and key not in by_key:
            by_key[key] = first + index
    written: dict[int, dict[str, Scalar]] = {}
    links: dict[int, str] = {}
    review_links: dict[int, str | None] = {}
    last_run = excel_serial(now)
    for result in results:
        key = doc_key(result)
        source = result.document.source or result.document.name
        row = by_source.get(source) or by_key.get(key)
        if row is None:
            row = table.append_row
            table.append_row += 1
            plan.rows_added += 1
            cells: dict[str, Scalar] = {"source": source}
        else:
            plan.rows_updated += row not in written
            cells = {}
        by_source.setdefault(source, row)
        by_key.setdefault(key, row)
        status = _status(result, state)
        plan.statuses[status] = plan.statuses.get(status, 0) + 1
        cells.update(doc_key=key, status=status, provider=result.provider, model=result.model)
        cells["error"] = _short(result.error.message) if result.error else None
        cells["last_run"] = last_run
        if result.status in HAS_VALUES:
            cells["pages"] = result.document.pages
            plan.truncated += _field_cells(cells, table, result)
        review_link = result.review.link if result.review is not None else None
        if review_link or REVIEW_COLUMN.key in table.position:
            if REVIEW_COLUMN.key not in table.position:
                table.ensure_column(REVIEW_COLUMN)
            cells[REVIEW_COLUMN.key] = review_link
            review_links[row] = review_link
        written.setdefault(row, {}).update(cells)
        links[row] = link_targets.get(source, source)
    for start, group in _consecutive(written):
        table.write_rows(group, at=start)
    source_column = table.position["source"]
    for row in sorted(links):
        plan.actions.append(act.set_hyperlink(table.sheet, row, source_column, links[row]))
    for row, target in sorted(review_links.items()):  # where the person reviews (or reviewed)
        column = table.position[REVIEW_COLUMN.key]
        action = act.set_hyperlink(table.sheet, row, column, target) if target else None
        plan.actions.append(action or act.clear_hyperlink(table.sheet, row, column))
    table.last_row = max(table.last_row, table.append_row - 1)


def _consecutive(rows: dict[int, dict[str, Scalar]]) -> list[tuple[int, list[dict[str, Scalar]]]]:
    groups: list[tuple[int, list[dict[str, Scalar]]]] = []
    for row in sorted(rows):
        if groups and groups[-1][0] + len(groups[-1][1]) == row:
            groups[-1][1].append(rows[row])
        else:
            groups.append((row, [rows[row]]))
    return groups


def _field_cells(cells: dict[str, Scalar], table: _Table, result: Result) -> int:
    truncated = 0
    fields = result.fields
    numeric = (fields.get(name) for name in table.numeric_fields())
    mark = decimal_mark(f.raw_value or f.value for f in numeric if f is not None)
    for name, value_key, confidence_key, type_ in table.field_columns():
        found = fields.get(name)
        if found is None:
            cells[value_key] = cells[confidence_key] = None
            continue
        value, cut = typed_cell(found.value, found.raw_value, type_, mark)
        cells[value_key] = value
        cells[confidence_key] = found.confidence
        truncated += cut
    if truncated:
        cells["error"] = f"{truncated} value(s) longer than Excel's 32,767 characters were cut"
    return truncated


def _status(result: Result, state: WorkbookState) -> str:
    return row_status(result, state.threshold, state.field_thresholds)


def row_status(result: Result, threshold: float, field_thresholds: dict[str, float]) -> str:
    """The `status` a result's row shows: failed, pending, needs_review (a value below its field's
    threshold, else below `threshold`) or done."""
    if result.status in ("failed", "pending", "needs_review"):  # needs_review: a person was asked
        return result.status
    for name, found in result.fields.items():
        limit = field_thresholds.get(name) or threshold
        if found.value is not None and found.confidence is not None and found.confidence < limit:
            return "needs_review"
    return "done"


def _short(message: str) -> str:
    text = " ".join(message.split())
    return text if len(text) <= MAX_ERROR_TEXT else text[: MAX_ERROR_TEXT - 1] + "…"


# -- line items -------------------------------------------------------------------------------------
def _line_rows(result: Result) -> list[TableRow]:
    if result.status not in HAS_VALUES:
        return []
    rows = result.tables.get(LINE_TABLE)
    if rows is None and result.tables:
        rows = next(iter(result.tables.values()))
    return list(rows or [])


def _write_line_items(plan: Plan, table: _Table, results: Sequence[Result]) -> None:
    first = table.state.header_row + 1
    old: dict[str, list[int]] = {}
    for index, key in enumerate(table.state.keys):
        if key:
            old.setdefault(key, []).append(first + index)
    new: dict[str, list[dict[str, Scalar]]] = {}
    for result in results:
        if result.status in HAS_VALUES:
            new.setdefault(doc_key(result), _line_cells(table, result))
    in_place: dict[int, list[dict[str, Scalar]]] = {}
    deleted: list[int] = []
    appended: list[dict[str, Scalar]] = []
    for key, rows in new.items():
        before = old.get(key, [])
        if before and len(before) == len(rows) and before[-1] - before[0] == len(rows) - 1:
            in_place[before[0]] = rows
        else:
            deleted.extend(before)
            appended.extend(rows)
        plan.line_items += len(rows)
    for start, count in _ranges_from_bottom(deleted):
        plan.actions.append(act.delete_rows(table.sheet, start, count))
    deleted.sort()
    for start, rows in sorted(in_place.items()):
        shift = sum(1 for r in deleted if r < start)
        table.write_rows(rows, at=start - shift)
    table.append_row -= len(deleted)
    table.last_row -= len(deleted)
    if appended:
        table.write_rows(appended, at=table.append_row)


def _line_cells(table: _Table, result: Result) -> list[dict[str, Scalar]]:
    key = doc_key(result)
    lines = _line_rows(result)
    numeric = table.numeric_fields()
    texts = (cell.raw_value or cell.value for row in lines for name, cell in row.items() if name in numeric)
    mark = decimal_mark(texts)
    out: list[dict[str, Scalar]] = []
    for number, line in enumerate(lines, start=1):
        cells: dict[str, Scalar] = {"doc_key": key, "line": number}
        for name, value_key, confidence_key, type_ in table.field_columns():
            found = line.get(name)
            if found is None:
                cells[value_key] = cells[confidence_key] = None
                continue
            cells[value_key], _ = typed_cell(found.value, found.raw_value, type_, mark)
            cells[confidence_key] = found.confidence
        out.append(cells)
    return out


def _ranges_from_bottom(rows: list[int]) -> list[tuple[int, int]]:
    """Rows to delete as (first row, count), bottom ranges first, so each deletion leaves the rows of
    the next one where they were."""
    ranges: list[tuple[int, int]] = []
    for row in sorted(set(rows), reverse=True):
        if ranges and ranges[-1][0] == row + 1:
            ranges[-1] = (row, ranges[-1][1] + 1)
        else:
            ranges.append((row, 1))
    return ranges


# -- runs and settings ------------------------------------------------------------------------------
def _run_row(run: RunInfo, plan: Plan) -> dict[str, Scalar]:
    statuses = plan.statuses
    return {
        "started": excel_serial(run.started),
        "finished": excel_serial(run.finished),
        "provider": run.provider,
        "model": run.model,
        "documents": sum(statuses.values()),
        "done": statuses.get("done", 0),
        "needs_review": statuses.get("needs_review", 0),
        "failed": statuses.get("failed", 0),
        "pending": statuses.get("pending", 0),
        "from_journal": run.from_journal,
        "docrelay": run.version,
    }


def _add_threshold_rows(actions: list[Action], state: WorkbookState, names: Sequence[str]) -> None:
    """List new fields in Settings, with a blank threshold (blank uses confidence_threshold)."""
    listed = set(state.threshold_fields)
    fresh = [name for name in names if name not in listed]
    room = FIELD_THRESHOLDS_LAST_ROW - state.threshold_next_row + 1
    fresh = fresh[: max(room, 0)]
    if fresh:
        actions.append(act.set_values(SETTINGS, state.threshold_next_row, 1, [[name] for name in fresh]))
