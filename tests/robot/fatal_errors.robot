*** Settings ***
Documentation    Behaviour seen from outside a run: refused credentials are fatal (the run stops), and
...              failures are one line without a traceback at the default log level.

Library          libraries/NestedRobot.py
Resource         resources/common.resource

Suite Setup      Run The Nested Suites


*** Variables ***
${REFUSED}    Cradl refused the client credentials. Check client_id and client_secret
...           (docrelay config show --provider cradl), and that auth_url matches your Cradl app.
${STOPPED}    Test execution stopped due to a fatal error.


*** Test Cases ***
Failures Before The Fatal Error Are Ordinary Failures
    Should Be Equal    ${TESTS}[Wrong Path Fails In One Line][status]    FAIL
    Should Be Equal    ${TESTS}[Wrong Path Fails In One Line][message]
    ...    File not found: ${NESTED}${/}no-such-invoice.pdf. Check the path (relative paths are read from the current folder).

Refused Credentials Fail With One Line And Stop The Run
    Should Be Equal    ${TESTS}[Refused Credentials Stop The Run][status]    FAIL
    Should Be Equal    ${TESTS}[Refused Credentials Stop The Run][message]    ${REFUSED}
    Should Be Equal    ${TESTS}[Test After The Fatal Error][status]    FAIL
    Should Be Equal    ${TESTS}[Test After The Fatal Error][message]    ${STOPPED}
    Should Be Equal    ${TESTS}[Test In A Later Suite][status]    FAIL
    Should Be Equal    ${TESTS}[Test In A Later Suite][message]    ${STOPPED}
    Should Be Equal As Integers    ${RUN.rc}    4

No Traceback Or Debug Output At The Default Log Level
    ${messages} =    Get Logged Messages    ${RUN.output}
    FOR    ${message}    IN    @{messages}
        Should Not Contain    ${message}    Traceback
    END
    ${debug} =    Get Logged Messages    ${RUN.output}    level=DEBUG
    Should Be Empty    ${debug}
    Should Contain    ${RUN.stdout}    ${REFUSED}
    Should Not Contain    ${RUN.stdout}    Error:

A Secret Written In The Data Is Masked In The Outputs
    Output Files Should Not Contain    ${RUN.outputdir}    wrong-secret-in-the-data


*** Keywords ***
Run The Nested Suites
    [Documentation]    Runs the suites of _nested in their own robot process and keeps the outcome.
    VAR    ${NESTED} =    ${CURDIR}${/}_nested    scope=SUITE
    ${run} =    Run Robot    ${NESTED}    outputdir=${OUTPUT_DIR}${/}nested-fatal
    VAR    ${RUN} =    ${run}    scope=SUITE
    ${tests} =    Get Test Results    ${run.output}
    VAR    ${TESTS} =    ${tests}    scope=SUITE
