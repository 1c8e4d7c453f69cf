*** Settings ***
Documentation    Run by tests/test_robot_shared_journal.py at --loglevel TRACE: two robots (two library
...              instances with their own journal connections) share one PostgreSQL journal, given as a
...              Secret and as a plain string with its password; the test scans the outputs for it.

Library          robot_library.DocRelay    poll_interval=0.1 s    AS    FirstRobot
Library          robot_library.DocRelay    poll_interval=0.1 s    AS    SecondRobot


*** Variables ***
${JOURNAL_SECRET: Secret}    %{DOCRELAY_ROBOT_TEST_JOURNAL}
${INVOICE}                   ${{ os.path.normpath(r'${CURDIR}/../../../samples/invoice.pdf') }}
${RECHNUNG}                  ${{ os.path.normpath(r'${CURDIR}/../../../samples/rechnung-mueller-de.pdf') }}
${MODEL}                     las:model:invoice


*** Test Cases ***
The First Robot Extracts Into The Shared Journal
    FirstRobot.Use Provider    cradl    api_url=${API_URL}    auth_url=${AUTH_URL}
    ...    client_id=test-client    client_secret=test-secret    model=${MODEL}
    ${results} =    FirstRobot.Extract Documents    ${INVOICE}    ${RECHNUNG}    journal=${JOURNAL_SECRET}
    Should Be Equal    ${results}[0][status]    succeeded
    Should Be Equal    ${results}[1][status]    succeeded
    Should Not Be True    ${results[0].extras.get('from_journal', False)}

The Second Robot Sees Every Result Without A Call
    SecondRobot.Use Provider    cradl    api_url=${API_URL}    auth_url=${AUTH_URL}
    ...    client_id=test-client    client_secret=test-secret    model=${MODEL}
    ${results} =    SecondRobot.Extract Documents    ${RECHNUNG}    ${INVOICE}    journal=${JOURNAL_PLAIN}
    Should Be Equal    ${results}[0][status]    succeeded
    Should Be True    ${results[0].extras.from_journal}
    Should Be True    ${results[1].extras.from_journal}
    Should Be Equal    ${results}[1][fields][invoice_number][value]    INV-2026-0042

Any Robot Reads One Result From The Journal
    ${result} =    SecondRobot.Get Result From Journal    ${INVOICE}    journal=${JOURNAL_SECRET}
    Should Be True    ${result.extras.from_journal}
    Should Be Equal    ${result}[fields][invoice_number][value]    INV-2026-0042
