*** Settings ***
Documentation     Import arguments choose the provider, profile, timeout, default model and provider
...               settings; a wrong one fails the first keyword, never the import.

Library           robot_library.DocRelay    provider=local    timeout=45 s    model=invoice    AS    Offline
Resource          resources/common.resource

Suite Setup       Import The Library For The Cradl Emulator
Suite Teardown    Stop All Emulators


*** Test Cases ***
Import Arguments Choose The Local Provider And Its Model
    ${result} =    Offline.Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    local
    Should Be Equal    ${result}[model]    invoice

Import Arguments Configure Cradl With A Secret
    ${result} =    Cradl.Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    cradl
    Should Be Equal    ${result}[model]    las:model:invoice

Use Provider Without Settings Goes Back To The Import Configuration
    Cradl.Use Provider    local
    ${result} =    Cradl.Extract Document    ${INVOICE}    model=invoice
    Should Be Equal    ${result}[provider]    local
    Cradl.Use Provider    cradl
    ${result} =    Cradl.Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    cradl

Use Provider Settings Add To The Import Configuration
    Set Emulator Faults    async_delay=1
    Cradl.Use Provider    cradl    timeout=0.2 s
    Run Keyword And Expect Error    The job did not finish within 0.2 s.*
    ...    Cradl.Extract Document    ${INVOICE}
    [Teardown]    Restore The Cradl Configuration

Wrong Import Arguments Fail The First Keyword, Not The Import
    Import Library    robot_library.DocRelay    provider=cradl    nonsense=1    AS    Broken
    Run Keyword And Expect Error    GLOB:Unknown setting 'nonsense' for provider cradl. Valid settings: *
    ...    Broken.List Models
    Import Library    robot_library.DocRelay    provider=nosuch    AS    Unknown
    Run Keyword And Expect Error    GLOB:Unknown provider 'nosuch' (from argument)*
    ...    Unknown.Extract Document    ${INVOICE}


*** Keywords ***
Import The Library For The Cradl Emulator
    [Documentation]    Imports DocRelay as Cradl, configured for the emulator entirely by import arguments.
    ${emulator} =    Start Emulator    cradl    async_delay=0.2
    Import Library    robot_library.DocRelay
    ...    provider=cradl
    ...    model=${CRADL_MODEL}
    ...    poll_interval=0.1 s
    ...    api_url=${emulator.url}
    ...    auth_url=${emulator.token_url}
    ...    client_id=${emulator.client_id}
    ...    client_secret=${emulator.client_secret}
    ...    AS    Cradl

Restore The Cradl Configuration
    [Documentation]    Back to quick jobs and a generous timeout.
    Set Emulator Faults    async_delay=0.2
    Cradl.Use Provider    cradl    timeout=1 min
