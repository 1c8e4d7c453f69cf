"""Keywords that write results for people and spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from robot_library._context import Component
from robot_library._support import as_result, keyword_call


class OutputKeywords(Component):
    """Write Results To CSV, Write Results To Workbook."""

    # -- output ------------------------------------------------------------------------------------
    @keyword("Write Results To CSV")
    def write_results_to_csv(
        self, results: list[dict[str, Any]], path: Path, table: str = "line_items"
    ) -> str:
        """Write ``results`` as a CSV file (UTF-8 with a byte-order mark, for Excel): one row per
        document with ``doc_key``, ``source``, ``status``, ``error``, then each field's value and
        confidence. The rows of ``table`` go to a second file beside it, linked by ``doc_key``, named
        after the first with its extension replaced (``invoices.csv``: ``invoices.line_items.csv``).
        Returns the path of the documents file.

        Text that a spreadsheet would run as a formula is written with a leading apostrophe.

        | ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/invoices.csv
        """
        from core.tabular import write_results_csv

        with keyword_call():
            parsed = [as_result(item) for item in results]
            documents, lines = write_results_csv(parsed, path, table=table)
            logger.info(f"Wrote {len(parsed)} documents to {documents} and their {table} to {lines}")
            return str(documents)

    @keyword("Write Results To Workbook")
    def write_results_to_workbook(self, path: Path, results: list[dict[str, Any]] | dict[str, Any]) -> str:
        """Upsert ``results`` (a list of results, or one result) into the Excel workbook at ``path``,
        created if it does not exist, laid out as ``docrelay-excel`` lays it out: one row per document in
        ``Documents`` (each field's value and confidence, amounts as numbers, dates as dates, uncertain
        values highlighted), line items in ``LineItems``, one row per call in ``Runs``.

        A document already in the workbook gets its row updated (by content, ``doc_key``), never a second
        row; columns a person added are left alone. Returns the path written: the workbook, or, when it
        is open in Excel (or holds parts that could not be kept), a results workbook beside it
        (``BOOK.results-<time>.xlsx``), with a warning in the log.

        | ${results} =    Extract Documents    ${INVOICES}
        | ${book} =    Write Results To Workbook    ${OUTPUT_DIR}/invoices.xlsx    ${results}
        """
        from core.workbook.run import fill_workbook

        with keyword_call():
            items = [results] if isinstance(results, dict) else list(results)
            parsed = [as_result(item) for item in items]
            outcome = fill_workbook(path, parsed)
            if outcome.updated:
                logger.info(f"Wrote {len(parsed)} documents to {outcome.written_to}")
            else:
                logger.warn(f"Wrote {len(parsed)} documents to {outcome.written_to}: {outcome.reason}")
            return str(outcome.written_to)
