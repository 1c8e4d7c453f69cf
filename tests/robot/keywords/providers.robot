*** Settings ***
Documentation     Provider keywords: Use Provider switches the provider and its settings, List Models and
...               Run Doctor ask it, and a wrong provider, setting or credential fails with what to do.

Library           robot_library.DocRelay    poll_interval=0.1 s
Resource          ../resources/common.resource

Suite Setup       Start Cradl Emulator And Use It
Suite Teardown    Stop All Emulators
Test Setup        Use The Cradl Emulator Afresh


*** Variables ***
${UNREACHABLE}    Could not connect to 127.0.0.1:9: Connection refused (POST 127.0.0.1:9/oauth2/token)
...               after * attempts.*


*** Test Cases ***
Use Provider Switches To Cradl
    ${models} =    List Models
    ${ids} =    Evaluate    [model["id"] for model in $models]
    List Should Contain Value    ${ids}    las:model:invoice
    List Should Contain Value    ${ids}    las:model:receipt
    List Should Contain Value    ${ids}    ${AGENT}

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

Unknown Provider Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error    GLOB:Unknown provider 'nosuch'*
    ...    Use Provider    nosuch
    [Teardown]    Use Provider    local

Unknown Setting Fails
    [Setup]    Use Provider    local
    Run Keyword And Expect Error    GLOB:Unknown setting 'client_secret' for provider local. Valid settings:*
    ...    Use Provider    local    client_secret=whatever
    [Teardown]    Use Provider    local

List Models Names The Built-In Invoice Model
    [Setup]    Use Provider    local
    ${models} =    List Models
    Should Be Equal    ${models}[0][id]    invoice
    Should Be Equal    ${models}[0][provider]    local
    List Should Contain Value    ${models}[0][fields]    total_amount

Run Doctor Passes For Local
    [Setup]    Use Provider    local
    ${checks} =    Run Doctor
    Should Be Equal    ${checks}[0][name]    configuration
    Should Be True    ${checks}[0][ok]
