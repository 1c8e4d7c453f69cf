"""The actions that lay out a new docrelay workbook: the sheets, their tables and headers, the Settings
with the named threshold, the status drop-down and the hidden sheet. Columns for the model's fields
are added by the planner, the same way as for fields met later."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from core.workbook import actions as act
from core.workbook.actions import Action
from core.workbook.layout import (
    BASE_COLUMNS,
    DEFAULT_THRESHOLD,
    DOCUMENTS,
    FIELD_THRESHOLDS_FIRST_ROW,
    FIELD_THRESHOLDS_HEADER_ROW,
    FIELD_THRESHOLDS_LAST_ROW,
    FIELD_THRESHOLDS_NAME,
    HIDDEN,
    MAX_ROW,
    SCHEMA_VERSION,
    SETTINGS,
    SETTINGS_ROWS,
    SETTINGS_TITLE_ROW,
    SHEETS,
    STATUSES,
    TABLES,
    THRESHOLD_NAME,
    Column,
    area_ref,
    cell_ref,
    column_letter,
)

WIDTHS = {
    "source": 36,
    "doc_key": 18,
    "status": 13,
    "error": 30,
    "last_run": 17,
    "started": 17,
    "finished": 17,
}


def layout_actions(settings: Mapping[str, str | None]) -> list[Action]:
    """Sheets, tables (header and one empty row), Settings and the hidden sheet of a new workbook."""
    return repair_actions(SHEETS, settings)


def repair_actions(missing: Iterable[str], settings: Mapping[str, str | None]) -> list[Action]:
    """Add the sheets in `missing` (of docrelay's five), laid out as in a new workbook."""
    actions: list[Action] = []
    for sheet in SHEETS:
        if sheet not in missing:
            continue
        actions.append(act.add_sheet(sheet, hidden=sheet == HIDDEN))
        if sheet in TABLES:
            actions.extend(_table_actions(sheet))
        elif sheet == SETTINGS:
            actions.extend(_settings_actions(settings))
    return actions


def _table_actions(sheet: str) -> list[Action]:
    columns = BASE_COLUMNS[sheet]
    actions = [
        act.set_values(sheet, 1, 1, [[c.header for c in columns]]),
        act.style_header(sheet, 1, 1, len(columns)),
        act.add_table(sheet, TABLES[sheet], area_ref(1, 1, 2, len(columns))),
        act.freeze_panes(sheet, "A2"),
    ]
    for index, column in enumerate(columns, start=1):
        actions.append(act.set_column_width(sheet, index, WIDTHS.get(column.key, 12)))
    if sheet == DOCUMENTS:
        status = next(i for i, c in enumerate(columns, start=1) if c.key == "status")
        letter = column_letter(status)
        actions.append(act.add_list_validation(DOCUMENTS, f"{letter}2:{letter}{MAX_ROW}", STATUSES))
    return actions


def _settings_actions(settings: Mapping[str, str | None]) -> list[Action]:
    rows: list[Action] = [
        act.set_values(SETTINGS, SETTINGS_TITLE_ROW, 1, [["docrelay settings (never put a password here)"]]),
        act.style_header(SETTINGS, SETTINGS_TITLE_ROW, 1, 1),
    ]
    values: dict[str, str | float | None] = {
        THRESHOLD_NAME: DEFAULT_THRESHOLD,
        "provider": settings.get("provider"),
        "model": settings.get("model"),
        "folder": settings.get("folder"),
    }
    for name, row in SETTINGS_ROWS.items():
        rows.append(act.set_values(SETTINGS, row, 1, [[name, values.get(name)]]))
    rows.append(
        act.define_name(
            THRESHOLD_NAME, f"{SETTINGS}!{cell_ref(SETTINGS_ROWS[THRESHOLD_NAME], 2, absolute=True)}"
        )
    )
    rows.append(
        act.set_values(
            SETTINGS,
            SETTINGS_ROWS[THRESHOLD_NAME],
            3,
            [["values with a confidence below this are highlighted (0 to 1)"]],
        )
    )
    rows.append(
        act.set_values(
            SETTINGS,
            FIELD_THRESHOLDS_HEADER_ROW,
            1,
            [["field", "threshold", "a field's own threshold; leave blank to use confidence_threshold"]],
        )
    )
    rows.append(act.style_header(SETTINGS, FIELD_THRESHOLDS_HEADER_ROW, 1, 2))
    top = cell_ref(FIELD_THRESHOLDS_FIRST_ROW, 1, absolute=True)
    bottom = cell_ref(FIELD_THRESHOLDS_LAST_ROW, 2, absolute=True)
    rows.append(act.define_name(FIELD_THRESHOLDS_NAME, f"{SETTINGS}!{top}:{bottom}"))
    rows.append(act.set_column_width(SETTINGS, 1, 24))
    rows.append(act.set_column_width(SETTINGS, 2, 16))
    return rows


def hidden_sheet_actions(columns: Mapping[str, list[Column]]) -> list[Action]:
    """The hidden sheet: schema version, then one row per docrelay column (sheet, key, header, type)."""
    lines: list[list[str | int | None]] = [
        ["schema_version", SCHEMA_VERSION],
        ["sheet", "key", "header", "type"],
    ]
    for sheet, listed in columns.items():
        lines.extend([sheet, c.key, c.header, c.type] for c in listed)
    return [act.set_values(HIDDEN, 1, 1, [line + [None] * (4 - len(line)) for line in lines])]
