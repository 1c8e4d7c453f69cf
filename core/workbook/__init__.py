"""Workbooks that fill themselves (CONTRACT section 7): the layout, the planner and the file I/O.

`core.workbook.planner.plan_workbook` is pure: a workbook's state plus results give a list of plain
JSON actions. `core.workbook.xlsx` reads and writes .xlsx files with openpyxl and carries the actions
out; the Office add-in carries out the same actions with Office.js.
"""
