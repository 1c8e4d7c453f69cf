*** Settings ***
Documentation     DocRelay against the Cradl emulator: extract, submit and wait, timeouts that resume,
...               provider switching and the service's error paths.

Library           String
Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          resources/common.resource

Suite Setup       Start Cradl Emulator And Use It
Suite Teardown    Stop All Emulators
Test Setup        Reset Emulator


*** Variables ***
${PNG}              ${TEMPDIR}${/}docrelay-blank.png
${PENDING_JOB}      ${EMPTY}
${TIMED_OUT}        The job did not finish within 0.3 s. The job goes on: resume it later with Wait For Result
...                 and its job handle drjob1.* (or give a longer timeout)
${NOT_PROCESSED}    SEPARATOR=
...                 GLOB:The service could not process docrelay-blank.png: Could not process document
...                 ${SPACE}las:document:*: docrelay-blank.png is an image (PNG): the document has no text layer.*
${NO_MODEL}         GLOB:cradl has no such resource (HTTP 404, POST 127.0.0.1:*/v1/predictions):
...                 Model las:model:nosuch not found.*
${HTTP_500}         GLOB:cradl failed to handle the request (HTTP 500, POST 127.0.0.1:*/v1/predictions):
...                 Service Unavailable. The service has a problem; try again later*
${NO_QUOTA}         Cradl's monthly quota for this organization is used up (HTTP 429 Limit Exceeded).
...                 Upgrade the plan or wait for the next month; retrying will not help.
${UNREACHABLE}      Could not connect to 127.0.0.1:9: Connection refused (POST 127.0.0.1:9/oauth2/token)
...                 after * attempts.*
${AGENT}            cradl:agent:a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0
${BLANK_PNG}        iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4//8/AAX+Av4N70a4AAAAAElFTkSuQmCC


*** Test Cases ***
Use Provider Switches To Cradl
    ${models} =    List Models
    ${ids} =    Evaluate    [model["id"] for model in $models]
    List Should Contain Value    ${ids}    las:model:invoice
    List Should Contain Value    ${ids}    las:model:receipt
    List Should Contain Value    ${ids}    ${AGENT}

Extract Document Through A Cradl Agent
    ${result} =    Extract Document    ${INVOICE}    agent=${AGENT}
    Should Be Equal    ${result}[model]    ${AGENT}
    Should Be Equal    ${result}[status]    succeeded
    Should Be Equal    ${result}[extras][agent_run_status]    pending-export
    ${number} =    Get Field Value    ${result}    invoice_number
    Should Be Equal    ${number}    INV-2026-0042
    Emulator Count Should Be    POST /agents/{agentId}/runs    1

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

Missing Credentials Fail With What To Set
    Use Provider    cradl    client_secret=not-used    api_url=${EMULATOR.url}    auth_url=${EMULATOR.token_url}
    Run Keyword And Expect Error
    ...    GLOB:Cradl needs credentials: client_id is not set. Set DOCRELAY_CRADL_CLIENT_ID and*
    ...    List Models
    [Teardown]    Use Cradl Emulator

Unreachable Service Fails With A Network Error
    Use Provider    cradl    api_url=http://127.0.0.1:9/v1    auth_url=http://127.0.0.1:9/oauth2/token
    ...    client_id=${EMULATOR.client_id}    client_secret=${EMULATOR.client_secret}
    Run Keyword And Expect Error    ${UNREACHABLE}    List Models
    [Teardown]    Use Cradl Emulator
