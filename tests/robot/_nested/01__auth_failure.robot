*** Settings ***
Documentation     Run by fatal_errors.robot in its own robot process: refused credentials stop the run.

Library           robot_library.DocRelay
Resource          ../resources/common.resource

Suite Setup       Start Cradl With Wrong Credentials
Suite Teardown    Stop All Emulators


*** Test Cases ***
Wrong Path Fails In One Line
    Extract Document    ${CURDIR}/no-such-invoice.pdf

Refused Credentials Stop The Run
    Extract Document    ${INVOICE}

Test After The Fatal Error
    Log    This must not run.


*** Keywords ***
Start Cradl With Wrong Credentials
    [Documentation]    The emulator's client id with a secret it does not accept, written in the data.
    ${emulator} =    Start Emulator    cradl    async_delay=0.2
    Use Provider    cradl
    ...    api_url=${emulator.url}
    ...    auth_url=${emulator.token_url}
    ...    client_id=${emulator.client_id}
    ...    client_secret=wrong-secret-in-the-data
    ...    model=${CRADL_MODEL}
