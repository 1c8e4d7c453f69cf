*** Settings ***
Documentation     Extraction keywords: Extract Document, Submit Document, Get Job Status and Wait For Result
...               with the local provider and the Cradl emulator (timeouts that resume, the service's error
...               paths), and Extract Documents (concurrency, a journal that makes re-runs free, folders).

Library           String
Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          ../resources/common.resource

Suite Setup       Start Extraction Suite
Suite Teardown    Stop All Emulators
Test Setup        Use The Cradl Emulator Afresh


*** Variables ***
${PNG}              ${TEMPDIR}${/}docrelay-blank.png
${PENDING_JOB}      ${EMPTY}
${NO_FILE}          File not found: ${TEMPDIR}${/}no-such-invoice.pdf.
...                 Check the path (relative paths are read from the current folder).
${NOT_A_HANDLE}     That is not a docrelay job handle: 'not-a-job'. Pass the value that Submit Document returned,
...                 or the one in a timeout's message (it starts with 'drjob1.')
${TIMED_OUT}        The job did not finish within 0.3 s. The job goes on: resume it later with Wait For Result
...                 and its job handle drjob1.* (or give a longer timeout)
${NOT_PROCESSED}    SEPARATOR=
...                 GLOB:The service could not process docrelay-blank.png: Could not process document
...                 ${SPACE}las:document:*: docrelay-blank.png: OCR found no text in the image.*
${NO_MODEL}         GLOB:cradl has no such resource (HTTP 404, POST 127.0.0.1:*/v1/predictions):
...                 Model las:model:nosuch not found.*
${HTTP_500}         GLOB:cradl failed to handle the request (HTTP 500, POST 127.0.0.1:*/v1/predictions):
...                 Service Unavailable. The service has a problem; try again later*
${NO_QUOTA}         Cradl's monthly quota for this organization is used up (HTTP 429 Limit Exceeded).
...                 Upgrade the plan or wait for the next month; retrying will not help.
${BLANK_PNG}        iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC


*** Test Cases ***
Extract Document Returns The Normalized Result
    [Setup]    Use Provider    local
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[schema]    docrelay.result/1
    Should Be Equal    ${result}[provider]    local
    Should Be Equal    ${result}[model]    invoice
    Should Be Equal    ${result}[status]    succeeded
    Should Be Equal    ${result.document.name}    invoice.pdf
    Should Be Equal As Integers    ${result.document.pages}    1
    Should Be Equal    ${result}[fields][total_amount][value]    1836.60
    Should Be Equal    ${result.fields.invoice_date.value}    2026-03-14
    Should Be Equal    ${result.fields.iban.value}    GB29NWBK60161331926819

Extract Document Uploads, Predicts And Waits
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    cradl
    Should Be Equal    ${result}[model]    las:model:invoice
    Should Be Equal    ${result}[status]    succeeded
    Should Start With    ${result.document.id}    las:document:
    Should Start With    ${result}[prediction_id]    las:prediction:
    ${total} =    Get Field Value    ${result}    total_amount    min_confidence=0.9
    Should Be Equal    ${total}    1836.60
    ${rows} =    Get Table Rows    ${result}
    Length Should Be    ${rows}    4
    Emulator Count Should Be    POST /documents    1
    Emulator Count Should Be    POST /predictions    1

Extract Document Through A Cradl Agent
    ${result} =    Extract Document    ${INVOICE}    agent=${AGENT}
    Should Be Equal    ${result}[model]    ${AGENT}
    Should Be Equal    ${result}[status]    succeeded
    Should Be Equal    ${result}[extras][agent_run_status]    pending-export
    ${number} =    Get Field Value    ${result}    invoice_number
    Should Be Equal    ${number}    INV-2026-0042
    Emulator Count Should Be    POST /agents/{agentId}/runs    1

E-Invoice XML Gives Exact Values
    [Setup]    Use Provider    local
    ${result} =    Extract Document    ${CURDIR}/../../einvoices/XRECHNUNG_Einfach.ubl.xml
    Should Be Equal    ${result}[extras][read_from]    e-invoice
    ${total} =    Get Field Value    ${result}    total_amount    min_confidence=1.0
    Should Be Equal    ${total}    529.87
    ${rows} =    Get Table Rows    ${result}
    Should Be Equal    ${rows}[0][description]    Trennblätter A4

Pages Can Be Selected
    [Setup]    Use Provider    local
    ${result} =    Extract Document    ${SAMPLES}/faktura-nordlys-no.pdf    pages=0    max_pages=1
    Should Be Equal    ${result}[status]    succeeded

Wrong Path Fails With One Clear Line
    [Setup]    Use Provider    local
    Run Keyword And Expect Error    ${NO_FILE}
    ...    Extract Document    ${TEMPDIR}${/}no-such-invoice.pdf

Unsupported File Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error
    ...    GLOB:Unsupported file type: *README.md is not a PDF, JPEG, PNG, TIFF, WebP or XML e-invoice file.*
    ...    Extract Document    ${SAMPLES}/README.md

Empty File Fails
    [Setup]    Use Provider    local
    VAR    ${empty} =    ${TEMPDIR}${/}docrelay-empty.pdf
    Create File    ${empty}
    Run Keyword And Expect Error    GLOB:File is empty: *docrelay-empty.pdf. Check that the file was written completely.
    ...    Submit Document    ${empty}
    [Teardown]    Remove File    ${empty}

Unknown Model Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error
    ...    GLOB:Unknown model 'no-such-model' for the local provider; available models: invoice.*
    ...    Extract Document    ${INVOICE}    model=no-such-model

Invalid Timeout Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error    The timeout must be positive, not -5 s
    ...    Extract Document    ${INVOICE}    timeout=-5 s

Document The Service Cannot Process Fails
    Create Binary File    ${PNG}    ${{ base64.b64decode($BLANK_PNG) }}
    Run Keyword And Expect Error    ${NOT_PROCESSED}    Extract Document    ${PNG}
    [Teardown]    Remove File    ${PNG}

Unknown Model Fails Before Anything Is Uploaded
    Run Keyword And Expect Error    ${NO_MODEL}
    ...    Extract Document    ${INVOICE}    model=las:model:nosuch

Transient Service Errors Are Retried
    Script Emulator Fault    POST /documents    status=503    count=2
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[status]    succeeded
    Emulator Count Should Be    POST /documents    3

Persistent Service Error Fails
    Script Emulator Fault    POST /predictions    status=500    count=5
    Run Keyword And Expect Error    ${HTTP_500}    Extract Document    ${INVOICE}

Exhausted Quota Fails Without Retrying
    Set Emulator Faults    quota=0
    Run Keyword And Expect Error    ${NO_QUOTA}    Extract Document    ${INVOICE}
    Emulator Count Should Be    POST /predictions    1
    [Teardown]    Set Emulator Faults    quota=${NONE}

Missing Model Fails With A Clear Line
    Use Cradl Emulator    model=${EMPTY}
    Run Keyword And Expect Error    GLOB:Cradl needs a model id. Pass model=*
    ...    Extract Document    ${INVOICE}
    [Teardown]    Use Cradl Emulator

Submit Document And Wait For Result
    [Setup]    Use Provider    local
    ${job} =    Submit Document    ${INVOICE}
    Should Start With    ${job}    drjob1.
    ${status} =    Get Job Status    ${job}
    Should Be Equal    ${status}    succeeded
    ${result} =    Wait For Result    ${job}    timeout=30 s
    Should Be Equal    ${result}[fields][invoice_number][value]    INV-2026-0042

Submit Document Returns At Once And Wait For Result Finishes The Job
    Set Emulator Faults    async_delay=1
    ${job} =    Submit Document    ${INVOICE}
    ${status} =    Get Job Status    ${job}
    Should Be Equal    ${status}    pending
    ${result} =    Wait For Result    ${job}    timeout=30 s
    Should Be Equal    ${result}[status]    succeeded
    ${status} =    Get Job Status    ${job}
    Should Be Equal    ${status}    succeeded
    Emulator Count Should Be    POST /predictions    1
    [Teardown]    Set Emulator Faults    async_delay=0.2

Extract Document Times Out With A Job Handle To Resume
    Set Emulator Faults    async_delay=1.5
    ${message} =    Run Keyword And Expect Error    ${TIMED_OUT}
    ...    Extract Document    ${INVOICE}    timeout=0.3 s
    ${job} =    Get Regexp Matches    ${message}    drjob1\\.[A-Za-z0-9_-]+
    VAR    ${PENDING_JOB} =    ${job}[0]    scope=SUITE
    [Teardown]    Set Emulator Faults    async_delay=0.2

A Later Test Resumes The Timed Out Job
    Should Not Be Empty    ${PENDING_JOB}    msg=the previous test must have left a job handle
    ${result} =    Wait For Result    ${PENDING_JOB}    timeout=1 min
    Should Be Equal    ${result}[status]    succeeded
    Should Be Equal    ${result}[fields][invoice_number][value]    INV-2026-0042
    Emulator Count Should Be    POST /predictions    0

Jobs Of Another Provider Are Followed By Their Handle
    Use Provider    local
    ${job} =    Submit Document    ${INVOICE}
    Use Provider    cradl
    ${result} =    Wait For Result    ${job}
    Should Be Equal    ${result}[provider]    local
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    cradl

Not A Job Handle Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error    ${NOT_A_HANDLE}    Wait For Result    not-a-job

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
Start Extraction Suite
    [Documentation]    Starts with an empty journal and the Cradl emulator.
    Start With An Empty Journal    batch-journal.sqlite3
    Start Cradl Emulator And Use It
