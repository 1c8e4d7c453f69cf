*** Settings ***
Documentation    Result keywords: field values, confidences and thresholds, table rows and the fields to
...              review, and what a missing field, table or a value that is not a result says.

Library          robot_library.DocRelay
Resource         ../resources/common.resource

Suite Setup      Read The Sample Invoice


*** Variables ***
${NOT_A_DICT}    EQUALS:ValueError: Argument 'result' got value 'not a result' that cannot be converted to
...              dict[str, Any]: Invalid expression.


*** Test Cases ***
Field Keywords Return Values And Confidences
    ${result} =    Extract Document    ${INVOICE}    model=invoice
    ${total} =    Get Field Value    ${result}    total_amount
    Should Be Equal    ${total}    1836.60
    ${total} =    Get Field Value    ${result}    total_amount    min_confidence=0.9
    Should Be Equal    ${total}    1836.60
    ${confidence} =    Get Field Confidence    ${result}    total_amount
    Should Be Equal As Numbers    ${confidence}    0.95
    ${values} =    Get Field Values    ${result}
    Should Be Equal    ${values}[supplier_name]    ACME Supplies Ltd
    Should Be Equal    ${values}[currency]    GBP
    Length Should Be    ${values}    8

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

Low Confidence Fields Are Listed For Review
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.85
    Should Be Equal    ${doubtful}    ${{ ['invoice_number', 'currency'] }}
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.9    total_amount    iban    po_number
    Should Be Equal    ${doubtful}    ${{ ['po_number'] }}
    ${doubtful} =    Get Low Confidence Fields    ${RESULT}    0.5
    Should Be Empty    ${doubtful}

Get Table Rows Returns Plain Values
    ${result} =    Extract Document    ${INVOICE}
    ${rows} =    Get Table Rows    ${result}
    Length Should Be    ${rows}    4
    Should Be Equal    ${rows}[0][description]    Office chair, ergonomic
    Should Be Equal    ${rows}[0][quantity]    4
    Should Be Equal    ${rows}[3][amount]    95.00
    ${same} =    Get Table Rows    ${result}    table=line_items
    Should Be Equal    ${rows}    ${same}

Table That Is Not In The Result Fails
    Run Keyword And Expect Error    invoice.pdf has no table 'lines' (it has: line_items)
    ...    Get Table Rows    ${RESULT}    table=lines

Something That Is Not A Result Fails
    Run Keyword And Expect Error    ${NOT_A_DICT}    Get Field Value    not a result    total_amount
    VAR    &{broken} =    provider=local
    Run Keyword And Expect Error
    ...    GLOB:That is not a docrelay result (model: Field required). Pass the dictionary*
    ...    Get Field Value    ${broken}    total_amount


*** Keywords ***
Read Currency And Go On
    [Documentation]    A non-continuable check, then a step that must not be reached.
    [Arguments]    ${result}
    VAR    ${REACHED} =    ${FALSE}    scope=TEST
    Get Field Value    ${result}    currency    min_confidence=0.9
    VAR    ${REACHED} =    ${TRUE}    scope=TEST
