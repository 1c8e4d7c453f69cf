"""The local HTTPS bridge behind the Office add-in (`docrelay-excel serve`) and its installation
(`docrelay-excel install-addin`). Thin: the work is core.workbook.live's."""
