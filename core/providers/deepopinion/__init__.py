"""DeepOpinion Studio: document extraction and ad-hoc text analysis (see docs/providers/deepopinion.md)."""

from core.providers.deepopinion.provider import DeepopinionProvider

__all__ = ["DeepopinionProvider"]
