*** Settings ***
Documentation     Review keywords: review_below= routes uncertain results to a person at every service
...               that has review, a scripted reviewer corrects a value, Wait For Review returns the
...               reviewed result with what the person changed, and Send Feedback sends values back.

Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          ../resources/common.resource

Suite Setup       Start The Three Services
Suite Teardown    Stop All Emulators


*** Variables ***
${REVIEW_WORKFLOW}    las:workflow:e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1e1
${CORRECTED}          1999.99


*** Test Cases ***
Cradl Routes An Uncertain Result To Its Review Workflow
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}    review_below=0.8
    Result Should Need Review    ${result}
    Review As A Person    correct    service=cradl    total_amount=${CORRECTED}
    ${reviewed} =    Wait For Review    ${result}    timeout=30 s
    Reviewed Total Should Be Corrected    ${reviewed}
    ${status} =    Complete Review    ${result}
    Should Be Equal    ${status}    completed

Contractfit Reads The Values A Person Submitted
    Use Provider    contractfit    url=${CONTRACTFIT.url}    api_key=test-api-key
    ${models} =    List Models
    Use Provider    contractfit    url=${CONTRACTFIT.url}    api_key=test-api-key    inbox=${models}[0][id]
    ${result} =    Extract Document    ${INVOICE}    review_below=0.8
    Result Should Need Review    ${result}
    ${status} =    Get Review Status    ${result}
    Should Be Equal    ${status}    waiting
    Review As A Person    correct    service=contractfit    total_amount=${CORRECTED}
    ${reviewed} =    Wait For Review    ${result}[review][id]    timeout=30 s
    Reviewed Total Should Be Corrected    ${reviewed}
    ${status} =    Complete Review    ${result}
    Should Be Equal    ${status}    archived

DeepOpinion Waits For Its HITL Reviews
    Use DeepOpinion
    ${result} =    Extract Document    ${INVOICE}    model=7    review_below=0.8
    Result Should Need Review    ${result}
    Review As A Person    correct    service=deepopinion    total_amount=${CORRECTED}
    ${reviewed} =    Wait For Review    ${result}    timeout=30 s
    Reviewed Total Should Be Corrected    ${reviewed}
    Run Keyword And Expect Error    GLOB:*nothing to complete*    Complete Review    ${result}

Start Review Sends Any Finished Result
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[status]    succeeded
    ${routed} =    Start Review    ${result}    reason=spot check
    Should Be Equal    ${routed}[status]    needs_review
    Should Be Equal    ${routed}[review][reasons]    ${{ ["spot check"] }}
    Review As A Person    approve    service=cradl
    ${reviewed} =    Wait For Review    ${routed}    timeout=30 s
    Should Not Be True    ${reviewed}[fields][total_amount][edited]

A Rejected Review Fails Wait For Review
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}    review_below=0.99
    Review As A Person    reject    service=cradl
    Run Keyword And Expect Error    GLOB:*review of invoice.pdf ended without values*    Wait For Review    ${result}

Wait For Review Needs A Result Under Review
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}
    Run Keyword And Expect Error    GLOB:This result has no review to wait for*    Wait For Review    ${result}
    Run Keyword And Expect Error    GLOB:That is not a docrelay review*    Wait For Review    drjob1.abc

Send Feedback Sends Ground Truth To Cradl
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}
    ${receipt} =    Send Feedback    ${result}    total_amount=${CORRECTED}
    Should Be Equal    ${receipt}[corrected]    ${{ ["total_amount"] }}
    Cradl Count Should Be    PATCH /documents/{documentId}    1

Send Feedback To DeepOpinion Is Not Supported
    Use DeepOpinion
    ${result} =    Extract Document    ${INVOICE}    model=7
    Run Keyword And Expect Error    GLOB:Provider DeepOpinion does not take feedback*
    ...    Send Feedback    ${result}    total_amount=${CORRECTED}

Delete After Deletes The Document On The Service
    Use Cradl For Review
    ${result} =    Extract Document    ${INVOICE}    delete_after=${True}
    Should Be True    ${result}[extras][deleted]
    Cradl Count Should Be    DELETE /documents/{documentId}    1

Review Below Fails For The Local Provider
    Use Provider    local
    Run Keyword And Expect Error    GLOB:Provider local has no human review*review_below=*
    ...    Extract Document    ${INVOICE}    review_below=0.8


*** Keywords ***
Start The Three Services
    [Documentation]    Starts the Cradl, contract.fit and DeepOpinion emulators; keeps their details.
    Start Cradl Emulator And Use It    async_delay=0.1
    ${contractfit} =    Start Emulator    contractfit    async_delay=0.1
    VAR    ${CONTRACTFIT} =    ${contractfit}    scope=SUITE
    ${deepopinion} =    Start Emulator    deepopinion
    VAR    ${DEEPOPINION} =    ${deepopinion}    scope=SUITE

Use Cradl For Review
    [Documentation]    Uses the Cradl emulator with its review workflow, counters cleared.
    Reset Emulator    service=cradl
    Use Provider    cradl
    ...    api_url=${EMULATOR.url}
    ...    auth_url=${EMULATOR.token_url}
    ...    client_id=${EMULATOR.client_id}
    ...    client_secret=${EMULATOR.client_secret}
    ...    model=${CRADL_MODEL}
    ...    review_workflow=${REVIEW_WORKFLOW}

Use DeepOpinion
    [Documentation]    Uses the DeepOpinion emulator (workspace 1, project 1).
    Use Provider    deepopinion    url=${DEEPOPINION.url}    email=robot@example.com
    ...    password=correct horse battery staple    organization=1    project=1

Result Should Need Review
    [Documentation]    The result was routed to review, with a handle and a link.
    [Arguments]    ${result}
    Should Be Equal    ${result}[status]    needs_review
    Should Start With    ${result}[review][id]    drrev1.
    Should Start With    ${result}[review][link]    http
    List Should Contain Value    ${result}[review][reasons]    currency: confidence 0.76 below 0.8

Reviewed Total Should Be Corrected
    [Documentation]    The reviewed result has the person's total, marked as edited, and other values not.
    [Arguments]    ${reviewed}
    Should Be Equal    ${reviewed}[status]    succeeded
    Should Be Equal    ${reviewed}[fields][total_amount][value]    ${CORRECTED}
    Should Be True    ${reviewed}[fields][total_amount][edited]
    Should Not Be True    ${reviewed}[fields][invoice_number][edited]

Cradl Count Should Be
    [Documentation]    Checks one request counter of the Cradl emulator.
    [Arguments]    ${endpoint}    ${expected}
    ${stats} =    Get Emulator Stats    service=cradl
    ${count} =    Get From Dictionary    ${stats.requests}    ${endpoint}    default=0
    Should Be Equal As Integers    ${count}    ${expected}    msg=${endpoint} calls
