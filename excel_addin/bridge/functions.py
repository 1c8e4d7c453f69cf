"""The custom functions the add-in declares (addin/functions.json) and its script associates
(addin/functions.js): `=DOCRELAY.<ID>(parameters...)`, each read-only (a recalculation never pushes).
Tests keep the three in step."""

from __future__ import annotations

FUNCTIONS: dict[str, list[str]] = {
    "FIELD": ["key_or_source", "field"],
    "CONFIDENCE": ["key_or_source", "field"],
    "STATUS": ["key_or_source"],
}
