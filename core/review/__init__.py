"""Human review of results, feedback (ground truth) and deletion after use (see core.review.service)."""

from core.review.handle import ReviewHandle
from core.review.policy import ReviewPolicy

__all__ = ["ReviewHandle", "ReviewPolicy"]
