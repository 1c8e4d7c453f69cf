*** Settings ***
Documentation     Output keywords: results of one document or of a batch written to CSV files, one for
...               the documents and one per table, and upserted into an Excel workbook laid out as
...               docrelay-excel lays it out, with the same planner: one row per document, no duplicates.

Library           String
Library           robot_library.DocRelay    poll_interval=0.1 s
Library           ../libraries/Workbooks.py
Resource          ../resources/common.resource

Suite Setup       Start Output Suite
Suite Teardown    End Output Suite
Test Setup        Use Provider    local


*** Variables ***
${DIR}        ${TEMPDIR}${/}docrelay-workbook-suite
${BOOK}       ${DIR}${/}invoices.xlsx
${MUELLER}    ${SAMPLES}/rechnung-mueller-de.pdf


*** Test Cases ***
Results Are Written To CSV Files
    ${german} =    Extract Document    ${SAMPLES}/rechnung-mueller-de.pdf
    VAR    @{results} =    ${RESULT}    ${german}
    ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/checks.csv
    Should Be Equal    ${csv}    ${OUTPUT_DIR}${/}checks.csv
    ${documents} =    Get File    ${csv}    encoding=utf-8-sig
    @{rows} =    Split To Lines    ${documents}
    Length Should Be    ${rows}    3
    Should Start With    ${rows}[0]    doc_key,source,status,error,invoice_number,invoice_number confidence,
    Should Contain    ${rows}[1]    ,succeeded,,INV-2026-0042,0.83,2026-03-14,
    ${lines} =    Get File    ${OUTPUT_DIR}/checks.line_items.csv    encoding=utf-8-sig
    Should Contain    ${lines}    "Office chair, ergonomic",0.91,4,0.98,145.00
    [Teardown]    Remove Files    ${OUTPUT_DIR}/checks.csv    ${OUTPUT_DIR}/checks.line_items.csv

Batch Results Go To CSV
    [Setup]    Use Cradl Emulator
    ${results} =    Extract Documents    @{INVOICES}    journal=${JOURNAL}
    ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/batch.csv
    ${text} =    Get File    ${csv}    encoding=utf-8-sig
    Should Contain    ${text}    DE89370400440532013000
    ${lines} =    Get File    ${OUTPUT_DIR}/batch.line_items.csv    encoding=utf-8-sig
    Should Contain    ${lines}    doc_key,line,description,description confidence
    [Teardown]    Remove Files    ${OUTPUT_DIR}/batch.csv    ${OUTPUT_DIR}/batch.line_items.csv

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


*** Keywords ***
Start Output Suite
    [Documentation]    Starts the Cradl emulator, extracts the sample invoice offline and starts with an empty journal
    ...    and a folder for workbooks.
    Start Cradl Emulator And Use It
    Read The Sample Invoice
    Start With An Empty Journal    output-journal.sqlite3
    Create Directory    ${DIR}

End Output Suite
    [Documentation]    Stops the emulator and removes the workbooks' folder.
    Stop All Emulators
    Remove Directory    ${DIR}    recursive=True
