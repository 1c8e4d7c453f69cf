*** Settings ***
Documentation    Check keywords: continuable validations that report every failure, thresholds written
...              as fractions, and a failed document reported with its reason.

Library          robot_library.DocRelay
Resource         ../resources/common.resource

Suite Setup      Start Checks Suite


*** Variables ***
${THREE_FAILURES}    SEPARATOR=\n\n
...                  Several failures occurred:
...                  1) ${CURRENCY_LOW}
...                  2) ${NO_PO_NUMBER}
...                  3) Field 'currency' of invoice.pdf is 'GBP', expected 'EUR'


*** Test Cases ***
Validation Keywords Are Continuable So Every Check Reports
    Run Keyword And Expect Error    ${THREE_FAILURES}    Check The Invoice    ${RESULT}
    Should Be True    ${REACHED}    msg=the checks after the failures must have run

Threshold Outside Zero To One Fails
    Run Keyword And Expect Error
    ...    A confidence threshold must be between 0 and 1, not 90. Write it as a fraction, e.g. 0.9 for 90 %.
    ...    Field Should Have Confidence    ${RESULT}    total_amount    90

Result Should Have Succeeded Reports A Failed Document
    Result Should Have Succeeded    ${RESULT}
    ${results} =    Extract Documents    ${INVOICE}    ${TEMPDIR}/missing-invoice.pdf    journal=${JOURNAL}
    Result Should Have Succeeded    ${results}[0]
    Run Keyword And Expect Error
    ...    GLOB:missing-invoice.pdf failed: File not found: *missing-invoice.pdf. Check the path*
    ...    Result Should Have Succeeded    ${results}[1]


*** Keywords ***
Start Checks Suite
    [Documentation]    Extracts the sample invoice once and starts with an empty journal.
    Read The Sample Invoice
    Start With An Empty Journal    result-checks-journal.sqlite3

Check The Invoice
    [Documentation]    Continuable checks, some failing, then a step that must still be reached.
    [Arguments]    ${result}
    VAR    ${REACHED} =    ${FALSE}    scope=TEST
    Field Should Have Confidence    ${result}    total_amount    0.9
    Field Should Have Confidence    ${result}    currency    0.9
    Field Should Have Confidence    ${result}    po_number    0.9
    Field Value Should Be    ${result}    currency    EUR
    Field Value Should Be    ${result}    invoice_number    INV-2026-0042
    VAR    ${REACHED} =    ${TRUE}    scope=TEST
