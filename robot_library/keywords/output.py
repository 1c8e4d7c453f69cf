"""Keywords that write results for people and spreadsheets."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from robot.api import logger
from robot.api.deco import keyword

from robot_library._context import Component
from robot_library._support import as_result, keyword_call


class OutputKeywords(Component):
    """Write Results To CSV."""

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
