"""Cradl (Lucidtech) REST API v1: see docs/providers/cradl.md."""

from core.providers.cradl.provider import CradlProvider

__all__ = ["CradlProvider"]
