*** Settings ***
Documentation    DocRelay with the offline local provider: extraction, jobs, models and input errors.

Library          robot_library.DocRelay
Resource         resources/common.resource

Suite Setup      Use Provider    local


*** Variables ***
${NO_FILE}         File not found: ${TEMPDIR}${/}no-such-invoice.pdf.
...                Check the path (relative paths are read from the current folder).
${NOT_A_HANDLE}    That is not a docrelay job handle: 'not-a-job'. Pass the value that Submit Document returned,
...                or the one in a timeout's message (it starts with 'drjob1.')


*** Test Cases ***
Extract Document Returns The Normalized Result
    ${result} =    Extract Document    ${INVOICE}
    Should Be Equal    ${result}[schema]    docrelay.result/1
    Should Be Equal    ${result}[provider]    local
    Should Be Equal    ${result}[model]    invoice
    Should Be Equal    ${result}[status]    succeeded
    Should Be Equal    ${result.document.name}    invoice.pdf
    Should Be Equal As Integers    ${result.document.pages}    1
    Should Be Equal    ${result}[fields][total_amount][value]    1836.60
    Should Be Equal    ${result.fields.invoice_date.value}    2026-03-14
    Should Be Equal    ${result.fields.iban.value}    GB29NWBK60161331926819

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

Get Table Rows Returns Plain Values
    ${result} =    Extract Document    ${INVOICE}
    ${rows} =    Get Table Rows    ${result}
    Length Should Be    ${rows}    4
    Should Be Equal    ${rows}[0][description]    Office chair, ergonomic
    Should Be Equal    ${rows}[0][quantity]    4
    Should Be Equal    ${rows}[3][amount]    95.00
    ${same} =    Get Table Rows    ${result}    table=line_items
    Should Be Equal    ${rows}    ${same}

E-Invoice XML Gives Exact Values
    ${result} =    Extract Document    ${CURDIR}/../einvoices/XRECHNUNG_Einfach.ubl.xml
    Should Be Equal    ${result}[extras][read_from]    e-invoice
    ${total} =    Get Field Value    ${result}    total_amount    min_confidence=1.0
    Should Be Equal    ${total}    529.87
    ${rows} =    Get Table Rows    ${result}
    Should Be Equal    ${rows}[0][description]    Trennblätter A4

Pages Can Be Selected
    ${result} =    Extract Document    ${SAMPLES}/faktura-nordlys-no.pdf    pages=0    max_pages=1
    Should Be Equal    ${result}[status]    succeeded

Submit Document And Wait For Result
    ${job} =    Submit Document    ${INVOICE}
    Should Start With    ${job}    drjob1.
    ${status} =    Get Job Status    ${job}
    Should Be Equal    ${status}    succeeded
    ${result} =    Wait For Result    ${job}    timeout=30 s
    Should Be Equal    ${result}[fields][invoice_number][value]    INV-2026-0042

List Models Names The Built-In Invoice Model
    ${models} =    List Models
    Should Be Equal    ${models}[0][id]    invoice
    Should Be Equal    ${models}[0][provider]    local
    List Should Contain Value    ${models}[0][fields]    total_amount

Run Doctor Passes For Local
    ${checks} =    Run Doctor
    Should Be Equal    ${checks}[0][name]    configuration
    Should Be True    ${checks}[0][ok]

Wrong Path Fails With One Clear Line
    Run Keyword And Expect Error    ${NO_FILE}
    ...    Extract Document    ${TEMPDIR}${/}no-such-invoice.pdf

Unsupported File Fails
    Run Keyword And Expect Error
    ...    GLOB:Unsupported file type: *README.md is not a PDF, JPEG, PNG, TIFF, WebP or XML e-invoice file.*
    ...    Extract Document    ${SAMPLES}/README.md

Empty File Fails
    VAR    ${empty} =    ${TEMPDIR}${/}docrelay-empty.pdf
    Create File    ${empty}
    Run Keyword And Expect Error    GLOB:File is empty: *docrelay-empty.pdf. Check that the file was written completely.
    ...    Submit Document    ${empty}
    [Teardown]    Remove File    ${empty}

Unknown Model Fails
    Run Keyword And Expect Error
    ...    GLOB:Unknown model 'no-such-model' for the local provider; available models: invoice.*
    ...    Extract Document    ${INVOICE}    model=no-such-model

Not A Job Handle Fails
    Run Keyword And Expect Error    ${NOT_A_HANDLE}    Wait For Result    not-a-job

Invalid Timeout Fails
    Run Keyword And Expect Error    The timeout must be positive, not -5 s
    ...    Extract Document    ${INVOICE}    timeout=-5 s

Unknown Provider Fails
    Run Keyword And Expect Error    GLOB:Unknown provider 'nosuch'*
    ...    Use Provider    nosuch
    [Teardown]    Use Provider    local

Unknown Setting Fails
    Run Keyword And Expect Error    GLOB:Unknown setting 'client_secret' for provider local. Valid settings:*
    ...    Use Provider    local    client_secret=whatever
    [Teardown]    Use Provider    local
