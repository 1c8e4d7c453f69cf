"""contract.fit API: see docs/providers/contractfit.md."""

from core.providers.contractfit.provider import ContractfitProvider

__all__ = ["ContractfitProvider"]
