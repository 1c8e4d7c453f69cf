"""Workbook files: create one, read its state, write results into it, safely.

    outcome = write_results("invoices.xlsx", results)     # creates the workbook if there is none

Results go into the workbook itself, unless it is open in Excel or holds parts openpyxl would drop:
then into `BOOK.results-<timestamp>.xlsx` beside it, and `outcome.reason` says why. The journal
still holds every result, so the next run on the closed workbook fills it in.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook, load_workbook

from core.errors import InputError, UsageError
from core.models import Result
from core.workbook.bulk import bulk
from core.workbook.layout import DOCUMENTS, LINE_ITEMS
from core.workbook.planner import FieldDef, Plan, RunInfo, plan_workbook
from core.workbook.state import WorkbookState
from core.workbook.xlsx.applier import apply_actions
from core.workbook.xlsx.files import (
    check_new_target,
    check_readable,
    damaged,
    is_open_elsewhere,
    parts_openpyxl_drops,
    results_path,
    save_atomically,
)
from core.workbook.xlsx.reader import read_state

__all__ = [
    "FieldDef",
    "OpenedWorkbook",
    "RunInfo",
    "WriteOutcome",
    "create_workbook",
    "open_workbook",
    "write_results",
]


@dataclass
class OpenedWorkbook:
    """A workbook read from disk (or a new one), its state, and whether it may be rewritten."""

    path: Path
    book: Workbook
    state: WorkbookState
    refusal: str | None = None  # why the workbook itself must not be rewritten

    @property
    def folder(self) -> Path:
        return self.path.parent


@dataclass
class WriteOutcome:
    workbook: Path
    written_to: Path
    updated: bool  # True: the workbook itself; False: a results workbook beside it
    reason: str | None = None
    plan: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "workbook": str(self.workbook),
            "written_to": str(self.written_to),
            "workbook_updated": self.updated,
            "reason": self.reason,
            **self.plan,
        }


def open_workbook(path: str | os.PathLike[str], *, check_lock: bool = True) -> OpenedWorkbook:
    """Read a docrelay workbook: an InputError (exit 4) for anything that is not one."""
    target = Path(path).expanduser()
    check_readable(target)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns for each part it cannot keep: reported below
            book = load_workbook(target)
    except MemoryError:
        raise damaged(target, "too large to read") from None
    except Exception as exc:  # openpyxl raises many kinds for a damaged package
        raise damaged(target, type(exc).__name__) from None
    state = read_state(book, source_path=str(target))
    refusal = None
    dropped = parts_openpyxl_drops(target)
    if dropped:
        refusal = (
            f"it contains {', '.join(dropped)}, which rewriting it would lose, so docrelay left it untouched"
        )
    elif check_lock and is_open_elsewhere(target):
        refusal = "it is open in Excel (or another program), so docrelay could not save it"
    return OpenedWorkbook(target, book, state, refusal)


def new_opened(path: Path) -> OpenedWorkbook:
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    return OpenedWorkbook(path, book, WorkbookState.empty())


@bulk
def create_workbook(
    path: str | os.PathLike[str],
    *,
    fields: Sequence[FieldDef] = (),
    line_fields: Sequence[FieldDef] = (),
    settings: dict[str, str | None] | None = None,
    now: datetime | None = None,
    overwrite: bool = False,
) -> WriteOutcome:
    """A new, empty docrelay workbook with columns for the model's fields."""
    target = Path(path).expanduser()
    check_new_target(target)
    if target.exists() and not overwrite:
        raise UsageError(
            f"{target} already exists",
            hint="Run it with `docrelay-excel run`, or give a new file name.",
        )
    opened = new_opened(target)
    return write_plan(opened, [], fields=fields, line_fields=line_fields, settings=settings, now=now)


@bulk
def write_results(
    path: str | os.PathLike[str],
    results: Sequence[Result],
    *,
    fields: Sequence[FieldDef] = (),
    line_fields: Sequence[FieldDef] = (),
    run: RunInfo | None = None,
    settings: dict[str, str | None] | None = None,
    now: datetime | None = None,
) -> WriteOutcome:
    """Upsert results into the workbook at `path` (created when missing)."""
    target = Path(path).expanduser()
    if target.exists():
        opened = open_workbook(target)
    else:
        check_new_target(target)
        opened = new_opened(target)
    return write_plan(
        opened, results, fields=fields, line_fields=line_fields, run=run, settings=settings, now=now
    )


@dataclass
class PendingWrite:
    """A planned write: the workbook it goes to (the user's, or a new results workbook) and its plan.
    Planning needs the results, carrying it out does not: a caller may let go of them in between."""

    opened: OpenedWorkbook
    target: OpenedWorkbook
    plan: Plan
    no_results: bool

    @property
    def to_results_file(self) -> bool:
        return self.target is not self.opened


def write_plan(
    opened: OpenedWorkbook,
    results: Sequence[Result],
    *,
    fields: Sequence[FieldDef] = (),
    line_fields: Sequence[FieldDef] = (),
    run: RunInfo | None = None,
    settings: dict[str, str | None] | None = None,
    now: datetime | None = None,
) -> WriteOutcome:
    """Plan, apply and save; to a results workbook when the workbook itself may not be rewritten."""
    pending = prepare_write(
        opened, results, fields=fields, line_fields=line_fields, run=run, settings=settings, now=now
    )
    return finish_write(pending)


def prepare_write(
    opened: OpenedWorkbook,
    results: Sequence[Result],
    *,
    fields: Sequence[FieldDef] = (),
    line_fields: Sequence[FieldDef] = (),
    run: RunInfo | None = None,
    settings: dict[str, str | None] | None = None,
    now: datetime | None = None,
) -> PendingWrite:
    """Plan the write into the workbook, or, when it may not be rewritten, into a new results workbook
    beside it with the same columns."""
    moment = now or datetime.now()
    target = opened
    if opened.refusal is not None:
        target = new_opened(results_path(opened.path, moment))
        fields = [*_known_fields(opened.state, DOCUMENTS), *fields]
        line_fields = [*_known_fields(opened.state, LINE_ITEMS), *line_fields]
        settings = dict(opened.state.settings)
    plan = plan_workbook(
        target.state, results, now=moment, fields=fields, line_fields=line_fields, run=run, settings=settings
    )
    return PendingWrite(opened, target, plan, no_results=not results)


def finish_write(pending: PendingWrite) -> WriteOutcome:
    """Carry the plan out and save. Should the workbook turn out to be held by another program at the
    last moment, the same sheets (the user's and the results) are saved as a results workbook."""
    opened, target = pending.opened, pending.target
    apply_actions(target.book, pending.plan.actions)
    summary = pending.plan.summary()
    pending.plan.actions.clear()  # their cells are in the workbook now: memory for the save
    if not pending.to_results_file:
        try:
            save_atomically(opened.path, opened.book.save)
        except PermissionError:
            opened.refusal = "it is open in another program, so docrelay could not save it"
            target = OpenedWorkbook(results_path(opened.path, datetime.now()), opened.book, opened.state)
        except OSError as exc:
            raise UsageError(
                f"Cannot save {opened.path}: {exc.strerror or exc}",
                hint="Choose a folder you can write to; the workbook was left as it was.",
            ) from None
        else:
            return WriteOutcome(opened.path, opened.path, True, plan=summary)
    try:
        save_atomically(target.path, target.book.save, keep_backup=False)
    except OSError as exc:
        raise UsageError(
            f"Cannot write the results workbook {target.path}: {exc.strerror or exc}",
            hint="Close the workbook in Excel and run again: the results are kept in the journal.",
        ) from None
    reason = f"{opened.path.name} was not changed: {opened.refusal}"
    if pending.no_results:
        reason += "; there were no results to write"
    return WriteOutcome(opened.path, target.path, False, reason=reason, plan=summary)


def _known_fields(state: WorkbookState, sheet: str) -> list[FieldDef]:
    return [
        FieldDef(column.key[len("field:") :], column.type)
        for column in state.columns.get(sheet, [])
        if column.key.startswith("field:")
    ]


def ensure_xlsx_name(path: str | os.PathLike[str]) -> Path:
    target = Path(path).expanduser()
    if target.suffix.lower() not in (".xlsx", ".xlsm"):
        raise InputError(f"{target.name} is not an .xlsx workbook", hint="Give an Excel workbook (.xlsx).")
    return target
