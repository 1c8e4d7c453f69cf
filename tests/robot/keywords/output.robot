*** Settings ***
Documentation     Output keywords: results of one document or of a batch written to CSV files, one for
...               the documents and one per table.

Library           String
Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          ../resources/common.resource

Suite Setup       Start Output Suite
Suite Teardown    Stop All Emulators
Test Setup        Use Provider    local


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


*** Keywords ***
Start Output Suite
    [Documentation]    Starts the Cradl emulator, extracts the sample invoice offline and starts with an empty journal.
    Start Cradl Emulator And Use It
    Read The Sample Invoice
    Start With An Empty Journal    output-journal.sqlite3
