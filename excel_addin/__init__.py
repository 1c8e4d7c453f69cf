"""The `docrelay-excel` bridge: workbook file mode and the Office add-in (a later issue fills it in)."""
