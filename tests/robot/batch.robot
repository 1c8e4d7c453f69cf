*** Settings ***
Documentation     Extract Documents: many documents concurrently, a journal that makes re-runs free,
...               folders with a pattern, per-document failures and CSV output.

Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          resources/common.resource

Suite Setup       Start Batch Suite
Suite Teardown    Stop All Emulators


*** Variables ***
@{INVOICES}
...            ${SAMPLES}/invoice.pdf
...            ${SAMPLES}/rechnung-mueller-de.pdf
...            ${SAMPLES}/facture-dupont-fr.pdf
...            ${SAMPLES}/factuur-devries-nl.pdf


*** Test Cases ***
Documents Are Extracted Concurrently In Input Order
    Reset Emulator
    ${results} =    Extract Documents    @{INVOICES}    concurrency=4    journal=${JOURNAL}
    Length Should Be    ${results}    4
    FOR    ${result}    ${path}    IN ZIP    ${results}    ${INVOICES}
        Result Should Have Succeeded    ${result}
        Should Be Equal    ${result}[provider]    cradl
        Should Be Equal    ${result}[document][source]    ${path}
        Should Not Be True    ${result.extras.get('from_journal', False)}
    END
    Should Be Equal    ${results}[1][fields][currency][value]    EUR
    Emulator Count Should Be    POST /documents    4
    Emulator Count Should Be    POST /predictions    4

A Second Run Takes Every Result From The Journal
    Reset Emulator
    ${results} =    Extract Documents    @{INVOICES}    journal=${JOURNAL}
    Length Should Be    ${results}    4
    FOR    ${result}    IN    @{results}
        Should Be Equal    ${result}[status]    succeeded
        Should Be True    ${result.extras.from_journal}
    END
    Emulator Count Should Be    POST /documents    0
    Emulator Count Should Be    POST /predictions    0

A Document That Cannot Be Read Fails Alone
    VAR    ${missing} =    ${TEMPDIR}${/}not-there.pdf
    ${results} =    Extract Documents    ${INVOICE}    ${missing}    journal=${JOURNAL}
    Should Be Equal    ${results}[0][status]    succeeded
    Should Be Equal    ${results}[1][status]    failed
    Should Be Equal    ${results}[1][error][type]    input_error
    Should Be Equal    ${results}[1][error][message]
    ...    File not found: ${missing}. Check the path (relative paths are read from the current folder).

A Folder Is Searched With A Pattern
    ${results} =    Extract Documents    ${SAMPLES}    pattern=invoice*.pdf    journal=${JOURNAL}
    ${names} =    Evaluate    [result["document"]["name"] for result in $results]
    Should Be Equal    ${names}    ${{ ['invoice-globex-us.pdf', 'invoice.pdf'] }}

Folders Are Searched Recursively Unless Told Not To
    VAR    ${inbox} =    ${OUTPUT_DIR}${/}nested-inbox
    Copy File    ${INVOICE}    ${inbox}${/}top.pdf
    Copy File    ${SAMPLES}/invoice-globex-us.pdf    ${inbox}${/}sub${/}deep.pdf
    ${everything} =    Extract Documents    ${inbox}    journal=${JOURNAL}
    Length Should Be    ${everything}    2
    ${top_only} =    Extract Documents    ${inbox}    recursive=False    journal=${JOURNAL}
    Length Should Be    ${top_only}    1
    Should Be Equal    ${top_only}[0][document][name]    top.pdf
    [Teardown]    Remove Directory    ${inbox}    recursive=True

Batch Results Go To CSV
    ${results} =    Extract Documents    @{INVOICES}    journal=${JOURNAL}
    ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/batch.csv
    ${text} =    Get File    ${csv}    encoding=utf-8-sig
    Should Contain    ${text}    DE89370400440532013000
    ${lines} =    Get File    ${OUTPUT_DIR}/batch.line_items.csv    encoding=utf-8-sig
    Should Contain    ${lines}    doc_key,line,description,description confidence
    [Teardown]    Remove Files    ${OUTPUT_DIR}/batch.csv    ${OUTPUT_DIR}/batch.line_items.csv

Batch With Nothing To Process Fails
    Create Directory    ${TEMPDIR}${/}docrelay-empty-folder
    Run Keyword And Expect Error    GLOB:No documents found in *docrelay-empty-folder*
    ...    Extract Documents    ${TEMPDIR}${/}docrelay-empty-folder    journal=${JOURNAL}
    Run Keyword And Expect Error    GLOB:No documents given*
    ...    Extract Documents    journal=${JOURNAL}
    [Teardown]    Remove Directory    ${TEMPDIR}${/}docrelay-empty-folder

Invalid Concurrency Fails
    Run Keyword And Expect Error    GLOB:Concurrency must be between 1 and 64, not 0.*
    ...    Extract Documents    ${INVOICE}    concurrency=0    journal=${JOURNAL}

Local Provider Batches Offline
    Use Provider    local
    ${results} =    Extract Documents    @{INVOICES}    journal=${JOURNAL}
    FOR    ${result}    IN    @{results}
        Result Should Have Succeeded    ${result}
        Should Be Equal    ${result}[provider]    local
    END
    [Teardown]    Use Provider    cradl


*** Keywords ***
Start Batch Suite
    [Documentation]    Starts with an empty journal and the Cradl emulator.
    VAR    ${JOURNAL} =    ${OUTPUT_DIR}/batch-journal.sqlite3    scope=SUITE
    Remove File    ${JOURNAL}
    Start Cradl Emulator And Use It
