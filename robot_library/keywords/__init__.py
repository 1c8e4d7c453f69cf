"""The keyword components of robot_library.DocRelay, one per concern; each reaches the shared state
(providers configured so far, import arguments) through `self.context` (robot_library._context)."""

from __future__ import annotations

from robot_library.keywords.checks import CheckKeywords
from robot_library.keywords.extraction import ExtractionKeywords
from robot_library.keywords.output import OutputKeywords
from robot_library.keywords.providers import ProviderKeywords
from robot_library.keywords.results import ResultKeywords
from robot_library.keywords.review import ReviewKeywords

__all__ = [
    "CheckKeywords",
    "ExtractionKeywords",
    "OutputKeywords",
    "ProviderKeywords",
    "ResultKeywords",
    "ReviewKeywords",
]
