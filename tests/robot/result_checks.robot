*** Settings ***
Documentation    Reading and checking results: thresholds, continuable validations, tables and CSV files.

Library          String
Library          robot_library.DocRelay
Resource         resources/common.resource

Suite Setup      Read The Sample Invoice


*** Variables ***
${NOT_A_DICT}        EQUALS:ValueError: Argument 'result' got value 'not a result' that cannot be converted to
...                  dict[str, Any]: Invalid expression.
${CURRENCY_LOW}      Field 'currency' of invoice.pdf has confidence 0.76, below the threshold 0.9
${NO_PO_NUMBER}      SEPARATOR=
...                  invoice.pdf has no field 'po_number' (it has: invoice_number, invoice_date, due_date,
...                  ${SPACE}total_amount, vat_amount, currency, supplier_name, iban)
${THREE_FAILURES}    SEPARATOR=\n\n
...                  Several failures occurred:
...                  1) ${CURRENCY_LOW}
...                  2) ${NO_PO_NUMBER}
...                  3) Field 'currency' of invoice.pdf is 'GBP', expected 'EUR'


*** Test Cases ***
Value Above The Threshold Is Returned
    ${total} =    Get Field Value    ${RESULT}    total_amount    min_confidence=0.95
    Should Be Equal    ${total}    1836.60
    Field Should Have Confidence    ${RESULT}    iban    0.99

Value Below The Threshold Fails And Stops The Test
    Run Keyword And Expect Error    ${CURRENCY_LOW}
    ...    Read Currency And Go On    ${RESULT}
    Should Be Equal    ${REACHED}    ${FALSE}    msg=Get Field Value must not be continuable

Missing Field Fails With The Fields The Result Has
    Run Keyword And Expect Error    ${NO_PO_NUMBER}
    ...    Get Field Value    ${RESULT}    po_number
    Run Keyword And Expect Error    ${NO_PO_NUMBER}
    ...    Get Field Confidence    ${RESULT}    po_number

Field Without A Value Fails
    ${us} =    Extract Document    ${SAMPLES}/invoice-globex-us.pdf
    Run Keyword And Expect Error
    ...    Field 'iban' of invoice-globex-us.pdf has no value: the service found none
    ...    Get Field Value    ${us}    iban
    ${confidence} =    Get Field Confidence    ${us}    iban
    Should Be Equal    ${confidence}    ${NONE}

Validation Keywords Are Continuable So Every Check Reports
    Run Keyword And Expect Error    ${THREE_FAILURES}    Check The Invoice    ${RESULT}
    Should Be True    ${REACHED}    msg=the checks after the failures must have run

Threshold Outside Zero To One Fails
    Run Keyword And Expect Error
    ...    A confidence threshold must be between 0 and 1, not 90. Write it as a fraction, e.g. 0.9 for 90 %.
    ...    Field Should Have Confidence    ${RESULT}    total_amount    90

Low Confidence Fields Are Listed For Review
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.85
    Should Be Equal    ${doubtful}    ${{ ['invoice_number', 'currency'] }}
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.9    total_amount    iban    po_number
    Should Be Equal    ${doubtful}    ${{ ['po_number'] }}
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.5
    Should Be Empty    ${doubtful}

Result Should Have Succeeded Reports A Failed Document
    Result Should Have Succeeded    ${RESULT}
    ${results} =    Extract Documents    ${INVOICE}    ${TEMPDIR}/missing-invoice.pdf    journal=${JOURNAL}
    Result Should Have Succeeded    ${results}[0]
    Run Keyword And Expect Error
    ...    GLOB:missing-invoice.pdf failed: File not found: *missing-invoice.pdf. Check the path*
    ...    Result Should Have Succeeded    ${results}[1]

Table That Is Not In The Result Fails
    Run Keyword And Expect Error    invoice.pdf has no table 'lines' (it has: line_items)
    ...    Get Table Rows    ${RESULT}    table=lines

Something That Is Not A Result Fails
    Run Keyword And Expect Error    ${NOT_A_DICT}    Get Field Value    not a result    total_amount
    VAR    &{broken} =    provider=local
    Run Keyword And Expect Error
    ...    GLOB:That is not a docrelay result (model: Field required). Pass the dictionary*
    ...    Get Field Value    ${broken}    total_amount

Results Are Written To CSV Files
    ${german} =    Extract Document    ${SAMPLES}/rechnung-mueller-de.pdf
    VAR    @{results} =    ${RESULT}    ${german}
    ${csv} =    Write Results To CSV    ${results}    ${OUTPUT_DIR}/checks.csv
    Should Be Equal    ${csv}    ${OUTPUT_DIR}${/}checks.csv
    ${documents} =    Get File    ${csv}    encoding=utf-8-sig
    @{rows} =    Split To Lines    ${documents}
    Length Should Be    ${rows}    3
    Should Start With    ${rows}[0]    doc_key,source,status,error,invoice_number,invoice_number confidence,
    Should Contain    ${rows}[1]    ,succeeded,,INV-2026-0042,0.83,2026-03-14,
    ${lines} =    Get File    ${OUTPUT_DIR}/checks.line_items.csv    encoding=utf-8-sig
    Should Contain    ${lines}    "Office chair, ergonomic",0.91,4,0.98,145.00
    [Teardown]    Remove Files    ${OUTPUT_DIR}/checks.csv    ${OUTPUT_DIR}/checks.line_items.csv


*** Keywords ***
Read The Sample Invoice
    [Documentation]    Extracts the sample invoice once for the whole suite.
    Use Provider    local
    ${result} =    Extract Document    ${INVOICE}
    VAR    ${RESULT} =    ${result}    scope=SUITE
    VAR    ${JOURNAL} =    ${OUTPUT_DIR}/result-checks-journal.sqlite3    scope=SUITE
    Remove File    ${JOURNAL}

Read Currency And Go On
    [Documentation]    A non-continuable check, then a step that must not be reached.
    [Arguments]    ${result}
    VAR    ${REACHED} =    ${FALSE}    scope=TEST
    Get Field Value    ${result}    currency    min_confidence=0.9
    VAR    ${REACHED} =    ${TRUE}    scope=TEST

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
