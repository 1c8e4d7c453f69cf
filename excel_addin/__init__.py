"""The `docrelay-excel` front end: workbooks that fill themselves (file mode, CONTRACT section 7).

Thin: the workbook layout, the planner and the openpyxl applier live in core.workbook, so that
`docrelay batch --xlsx` and the Robot library fill workbooks the same way. The Office add-in (a later
issue) carries out the same planner actions with Office.js.
"""
