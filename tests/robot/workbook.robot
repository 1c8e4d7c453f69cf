*** Settings ***
Documentation     Write Results To Workbook: a robot's results upserted into an Excel workbook laid out as
...               docrelay-excel lays it out, with the same planner: one row per document, no duplicates.

Library           robot_library.DocRelay    provider=local
Library           libraries/Workbooks.py
Resource          resources/common.resource

Suite Setup       Create Directory    ${DIR}
Suite Teardown    Remove Directory    ${DIR}    recursive=True


*** Variables ***
${DIR}        ${TEMPDIR}${/}docrelay-workbook-suite
${BOOK}       ${DIR}${/}invoices.xlsx
${MUELLER}    ${SAMPLES}/rechnung-mueller-de.pdf


*** Test Cases ***
Results Fill A New Workbook
    ${results} =    Extract Documents    ${INVOICE}    ${MUELLER}    journal=${DIR}${/}journal.sqlite3
    ${written} =    Write Results To Workbook    ${BOOK}    ${results}
    Should Be Equal    ${written}    ${BOOK}
    ${rows} =    Read Sheet Rows    ${BOOK}    Documents
    Length Should Be    ${rows}    2
    Should Be Equal    ${rows}[0][invoice_number]    INV-2026-0042
    Should Be Equal As Numbers    ${rows}[1][total_amount]    859.06
    ${lines} =    Read Sheet Rows    ${BOOK}    LineItems
    Should Not Be Empty    ${lines}

Writing A Result Again Updates Its Row
    ${result} =    Extract Document    ${INVOICE}
    Write Results To Workbook    ${BOOK}    ${result}
    ${rows} =    Read Sheet Rows    ${BOOK}    Documents
    Length Should Be    ${rows}    2
    ${runs} =    Read Sheet Rows    ${BOOK}    Runs
    Length Should Be    ${runs}    2

An Open Workbook Gets A Results Workbook Beside It
    ${result} =    Extract Document    ${MUELLER}
    Create File    ${DIR}${/}~$invoices.xlsx    owner
    ${written} =    Write Results To Workbook    ${BOOK}    ${result}
    Should Contain    ${written}    invoices.results-
    File Should Exist    ${written}
    [Teardown]    Remove File    ${DIR}${/}~$invoices.xlsx

A File That Is Not A Workbook Fails Clearly
    ${result} =    Extract Document    ${INVOICE}
    Create File    ${DIR}${/}notes.xlsx    just some notes
    Run Keyword And Expect Error    *is not an Excel workbook (.xlsx)*
    ...    Write Results To Workbook    ${DIR}${/}notes.xlsx    ${result}
