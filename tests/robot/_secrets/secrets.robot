*** Settings ***
Documentation    Run by tests/test_robot_secrets.py at --loglevel TRACE: credentials given as Secret
...              values, plain strings, dictionaries, import arguments and a ready token, then a refused
...              one. The test scans every output file for them.

Library          robot_library.DocRelay    poll_interval=0.1 s    AS    DocRelay
Library          robot_library.DocRelay
...                  provider=cradl
...                  model=las:model:invoice
...                  api_url=${PLAIN_API_URL}
...                  auth_url=${PLAIN_AUTH_URL}
...                  client_id=test-client
...              client_secret=${PLAIN_SECRET}    AS    Imported    # robocop: off=SPC15


*** Variables ***
${SECRET_FROM_ENV: Secret}    %{DOCRELAY_ROBOT_TEST_SECRET}
${INVOICE}                    ${{ os.path.normpath(r'${CURDIR}/../../../samples/invoice.pdf') }}
${MODEL}                      las:model:invoice


*** Test Cases ***
Secret Value From The Environment
    DocRelay.Use Provider    cradl    api_url=${SECRET_API_URL}    auth_url=${SECRET_AUTH_URL}
    ...    client_id=test-client    client_secret=${SECRET_FROM_ENV}    model=${MODEL}
    ${result} =    DocRelay.Extract Document    ${INVOICE}
    Should Be Equal    ${result}[status]    succeeded

Plain String Credentials
    DocRelay.Use Provider    cradl    api_url=${PLAIN_API_URL}    auth_url=${PLAIN_AUTH_URL}
    ...    client_id=test-client    client_secret=${PLAIN_SECRET}    model=${MODEL}
    ${job} =    DocRelay.Submit Document    ${INVOICE}
    ${result} =    DocRelay.Wait For Result    ${job}
    Should Be Equal    ${result}[status]    succeeded
    Log    Even logging the value on purpose shows a mask: ${PLAIN_SECRET}

Credentials In A Dictionary
    VAR    &{settings} =    client_id=test-client    client_secret=${PLAIN_SECRET}
    DocRelay.Use Provider    cradl    api_url=${PLAIN_API_URL}    auth_url=${PLAIN_AUTH_URL}    &{settings}
    ${models} =    DocRelay.List Models
    Should Not Be Empty    ${models}

Import Arguments
    ${result} =    Imported.Extract Document    ${INVOICE}
    Should Be Equal    ${result}[provider]    cradl

Ready Access Token
    DocRelay.Use Provider    cradl    api_url=${PLAIN_API_URL}    access_token=${ACCESS_TOKEN}
    ${models} =    DocRelay.List Models
    Should Not Be Empty    ${models}

Refused Credentials Stop The Run
    DocRelay.Use Provider    cradl    api_url=${PLAIN_API_URL}    auth_url=${PLAIN_AUTH_URL}
    ...    client_id=test-client    client_secret=${WRONG_SECRET}    model=${MODEL}
    DocRelay.Extract Document    ${INVOICE}

Not Run After The Fatal Error
    Log    This must not run.
