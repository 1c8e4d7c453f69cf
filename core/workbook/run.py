"""`docrelay-excel run`: push a workbook's documents through a journaled batch and pull the results in.

Documents come from the rows whose `source` the user filled (paths relative to the workbook's folder,
absolute, or UNC on Windows) and from the files of the workbook's folder setting (new files get new
rows). By default only rows with no result, `failed` or `rerun` are sent, and rows under human review
(their journaled result costs nothing; once a person is done, the reviewed values come in);
`rerun="failed"` sends only failed and rerun rows, `rerun="all"` every row. The batch journal means a
repeated or killed run never pays twice, and results of a run whose workbook was open in Excel are
filled in by the next run.
"""

from __future__ import annotations

import ntpath
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from core._version import __version__
from core.config.schema import parse_flag
from core.errors import DocRelayError, InputError, UsageError
from core.models import Result, summarize
from core.review import ReviewPolicy
from core.services import Client
from core.workbook.bulk import bulk
from core.workbook.layout import DOCUMENTS, STATUSES_TO_RUN
from core.workbook.planner import FieldDef, RunInfo, field_defs_of
from core.workbook.xlsx import (
    OpenedWorkbook,
    WriteOutcome,
    finish_write,
    open_workbook,
    prepare_write,
    write_results,
)
from core.workbook.xlsx.files import check_new_target, check_readable

RERUN_CHOICES = ("failed", "all")


@dataclass
class WorkbookJob:
    """What a run sends: per document, the path to read and the `source` text its row shows."""

    paths: list[Path] = field(default_factory=list)
    shown: list[str] = field(default_factory=list)
    from_rows: int = 0
    from_folder: int = 0

    def add(self, path: Path, shown: str, *, from_folder: bool) -> None:
        self.paths.append(path)
        self.shown.append(shown)
        if from_folder:
            self.from_folder += 1
        else:
            self.from_rows += 1


@dataclass
class WorkbookRunOutcome:
    write: WriteOutcome
    documents: list[dict[str, Any]]  # source, status and error of each document sent
    summary: dict[str, int]
    journal: str | None
    from_journal: int
    job: WorkbookJob
    provider: str
    model: str | None
    interrupted: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.write.to_dict(),
            "summary": self.summary,
            "from_rows": self.job.from_rows,
            "from_folder": self.job.from_folder,
            "from_journal": self.from_journal,
            "journal": self.journal,
            "provider": self.provider,
            "model": self.model,
            "documents": self.documents,
        }


def _row_report(result: Result) -> dict[str, Any]:
    return {
        "source": result.document.source or result.document.name,
        "status": result.status,
        "error": result.error.message if result.error else None,
    }


def resolve_source(text: str, base: Path, *, windows: bool | None = None) -> Path:
    """The file a `source` cell names: absolute paths (UNC too, on Windows) as they are, `file:` URLs,
    and relative paths from the workbook's folder."""
    windows = os.name == "nt" if windows is None else windows
    cleaned = text.strip().strip('"').strip()
    if cleaned.lower().startswith("file:"):
        parsed = urlparse(cleaned)
        cleaned = unquote(parsed.path)
        if parsed.netloc:  # file://server/share/x.pdf is a UNC path
            cleaned = f"//{parsed.netloc}{cleaned}"
        elif windows and len(cleaned) > 2 and cleaned[0] == "/" and cleaned[2] == ":":
            cleaned = cleaned[1:]  # file:///C:/x.pdf
    if windows:
        if ntpath.isabs(cleaned) or cleaned.startswith(("\\\\", "//")):
            return Path(cleaned)
        return base / cleaned
    cleaned = cleaned.replace("\\", "/")  # a workbook filled in on Windows
    path = Path(cleaned).expanduser()
    return path if path.is_absolute() else base / path


def shown_source(path: Path, base: Path) -> str:
    """How a folder file is written in `source`: relative to the workbook's folder when inside it
    (`base` resolved, `path` absolute)."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


def collect(opened: OpenedWorkbook, folder: str | None, rerun: str | None) -> WorkbookJob:
    """The documents this run sends, rows first (in sheet order), then new files of the folder."""
    if rerun is not None and rerun not in RERUN_CHOICES:
        raise UsageError(f"--rerun must be one of {', '.join(RERUN_CHOICES)}, not {rerun!r}")
    table = opened.state.documents
    job = WorkbookJob()
    listed: set[str] = set()
    for index, source in enumerate(table.sources):
        if not source:
            continue
        listed.add(source)
        status = (table.statuses[index] or "") if index < len(table.statuses) else ""
        under_review = index < len(table.reviews) and bool(table.reviews[index])
        if _wanted(status, rerun) or (status == "needs_review" and under_review and rerun is None):
            job.add(resolve_source(source, opened.folder), source, from_folder=False)
    if folder:
        base = opened.folder.resolve()
        for path in _folder_files(resolve_source(folder, base)):
            shown = shown_source(path, base)
            if shown not in listed and str(path) not in listed:
                job.add(path, shown, from_folder=True)
    return job


def _wanted(status: str, rerun: str | None) -> bool:
    if rerun == "all":
        return True
    if rerun == "failed":
        return status in ("failed", "rerun")
    return status in STATUSES_TO_RUN


def _folder_files(folder: Path) -> list[Path]:
    from core.batch import collect_paths

    if not folder.is_dir():
        raise InputError(
            f"The folder {folder} does not exist" if not folder.exists() else f"{folder} is not a folder",
            hint="Check --folder or the folder in the workbook's Settings sheet.",
        )
    try:
        return collect_paths([folder])
    except InputError:  # no documents in it (yet): the rows may still have some
        return []


@bulk
def run_workbook(
    path: str | os.PathLike[str],
    *,
    folder: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    profile: str | None = None,
    timeout: float | None = None,
    concurrency: int | None = None,
    rerun: str | None = None,
    journal: str | None = None,
    on_total: Callable[[int], None] | None = None,
    on_result: Callable[[Result], None] | None = None,
    review_below: float | None = None,
    delete_after: bool | None = None,
) -> WorkbookRunOutcome:
    """Collect, send, and write back (see the module doc). `review_below` and `delete_after` default to
    the Settings sheet's rows of those names (see core.review)."""
    started = datetime.now()
    opened = open_workbook(path)
    settings = opened.state.settings
    review = ReviewPolicy.parse(
        below=review_below if review_below is not None else settings.get("review_below")
    )
    if delete_after is None:
        delete_after = parse_flag(settings.get("delete_after") or "false") is True
    folder = folder or settings.get("folder")
    job = collect(opened, folder, rerun)
    if on_total:
        on_total(len(job.paths))
    with Client(provider or settings.get("provider"), profile=profile, timeout=timeout) as client:
        model = model or settings.get("model")
        fields, line_fields = _model_fields(client, opened, model)
        results: list[Result] = []
        from_journal, journal_path, interrupted = 0, None, False
        if job.paths:
            results, from_journal, journal_path, interrupted = _send(
                client, job, model, concurrency, journal, on_result, review, delete_after
            )
            results = [pull_review(client, result) for result in results]
        provider_name = client.provider_name
    reports = [_row_report(result) for result in results]
    summary = summarize(results)
    if job.paths:
        run = RunInfo(started, datetime.now(), provider_name, model, from_journal, __version__)
        pending = prepare_write(opened, results, fields=fields, line_fields=line_fields, run=run)
        del results  # planned: the memory goes to the cells and the save
        written = finish_write(pending)
    else:  # nothing to send: the workbook stays exactly as it is (even when open in Excel)
        written = WriteOutcome(opened.path, opened.path, False, reason="there was nothing to send")
    return WorkbookRunOutcome(
        written,
        reports,
        summary,
        journal_path,
        from_journal,
        job,
        provider_name,
        model,
        interrupted,
    )


def _send(
    client: Client,
    job: WorkbookJob,
    model: str | None,
    concurrency: int | None,
    journal: str | None,
    on_result: Callable[[Result], None] | None,
    review: ReviewPolicy | None = None,
    delete_after: bool = False,
) -> tuple[list[Result], int, str, bool]:
    """The batch, its results shown under each row's own `source` text (the batch's own outcome is let
    go here, so that only these results stay in memory)."""
    outcome = client.batch(
        job.paths,
        model=model,
        concurrency=concurrency,
        journal=journal,
        on_result=on_result,
        review=review,
        delete_after=delete_after,
    )
    results = [_shown_as(r, shown) for r, shown in zip(outcome.results, job.shown, strict=True)]
    return results, outcome.from_journal, outcome.journal, outcome.interrupted


@bulk
def fill_workbook(
    path: str | os.PathLike[str],
    results: Sequence[Result],
    *,
    client: Client | None = None,
    model: str | None = None,
    started: datetime | None = None,
    from_journal: int = 0,
) -> WriteOutcome:
    """Write results that another front end got (`docrelay batch --xlsx`, the Robot keyword) into a
    workbook, created when missing, with a Runs row. With a client, a new workbook's columns follow
    the model's order; without one, the order the results bring."""
    fields: Sequence[FieldDef] = ()
    line_fields: Sequence[FieldDef] = ()
    if client is not None:
        fields, line_fields = model_fields(client, model)
    provider = client.provider_name if client else (results[0].provider if results else None)
    model_name = model or (results[0].model if results else None)
    run = RunInfo(started or datetime.now(), datetime.now(), provider, model_name, from_journal, __version__)
    return write_results(path, results, fields=fields, line_fields=line_fields, run=run)


def pull_review(client: Client, result: Result) -> Result:
    """A needs_review result, once its review is finished: the reviewed result (one look, no waiting);
    still under review, or a review that cannot be read now, it stays as it was."""
    if result.status != "needs_review" or result.review is None or not result.review.id:
        return result
    try:
        with Client.for_review(result.review.id, timeout=client.settings.timeout) as own:
            looked = own.review_status(result.review.id)
    except DocRelayError as exc:
        if exc.stops_run:
            raise
        failed = result.model_copy(deep=True)
        failed.extras["review_error"] = exc.full_message
        return (
            failed
            if exc.type != "job_failed"
            else Result.failed(
                result.provider, result.model, result.document, exc, prediction_id=result.prediction_id
            )
        )
    if looked.status == "needs_review":
        return result
    return looked.model_copy(update={"document": result.document})


def check_workbook_target(path: str | os.PathLike[str]) -> Path:
    """Before any work: an existing file must be an .xlsx package, a new one must have a folder."""
    target = Path(path).expanduser()
    if target.exists():
        check_readable(target)
    else:
        check_new_target(target)
    return target


def _shown_as(result: Result, shown: str) -> Result:
    document = result.document.model_copy(update={"source": shown})
    return result.model_copy(update={"document": document})


def _model_fields(
    client: Client, opened: OpenedWorkbook, model: str | None
) -> tuple[Sequence[FieldDef], Sequence[FieldDef]]:
    """The model's fields, in its order, when the workbook has no field columns yet (best effort: a
    service that cannot list models just gets the columns in the order results bring them)."""
    if any(c.key.startswith("field:") for c in opened.state.columns.get(DOCUMENTS, [])):
        return (), ()
    return model_fields(client, model)


def model_fields(client: Client, model: str | None) -> tuple[list[FieldDef], list[FieldDef]]:
    try:
        wanted = client.provider.resolve_model(model)
        for info in client.models():
            if info.id == wanted or info.name == wanted:
                return field_defs_of(info)
    except DocRelayError:
        pass
    return [], []
