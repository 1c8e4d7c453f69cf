*** Settings ***
Documentation    The example invoice robot (examples/robot) runs offline and produces what it promises:
...              the CSV files, the review list and the accepted and review folders.

Library          Collections
Library          OperatingSystem
Library          String
Library          libraries/NestedRobot.py
Resource         resources/common.resource


*** Variables ***
${EXAMPLE}             ${{ os.path.normpath(r'${CURDIR}/../../examples/robot') }}
${REVIEWED_SAMPLES}
...                    facture-dupont-fr.pdf: uncertain invoice_number, invoice_date\n
...                    invoice-globex-us.pdf: uncertain invoice_number, invoice_date, supplier_name
...                    separator=${EMPTY}


*** Test Cases ***
Invoice Robot Routes Uncertain Invoices To Review
    VAR    ${out} =    ${OUTPUT_DIR}${/}example-samples
    ${run} =    Run Robot    ${EXAMPLE}    outputdir=${out}
    Should Be Equal As Integers    ${run.rc}    0
    Should Contain    ${run.stdout}    6 invoices read, 2 sent to review
    ${review} =    Get File    ${out}/invoices/review.txt
    Should Be Equal    ${review}    ${REVIEWED_SAMPLES}
    ${accepted} =    List Files In Directory    ${out}/invoices/accepted
    Should Be Equal    ${accepted}
    ...    ${{ ['factuur-devries-nl.pdf', 'faktura-nordlys-no.pdf', 'invoice.pdf', 'rechnung-mueller-de.pdf'] }}
    ${reviewed} =    List Files In Directory    ${out}/invoices/review
    Should Be Equal    ${reviewed}    ${{ ['facture-dupont-fr.pdf', 'invoice-globex-us.pdf'] }}
    ${csv} =    Get File    ${out}/invoices/invoices.csv    encoding=utf-8-sig
    ${lines} =    Get Line Count    ${csv}
    Should Be Equal As Integers    ${lines}    7
    Should Contain    ${csv}    ,succeeded,,INV-2026-0042,0.83,2026-03-14,0.88,
    File Should Exist    ${out}/invoices/invoices.line_items.csv

Invoice Robot Sends Unreadable Files To Review
    VAR    ${inbox} =    ${OUTPUT_DIR}${/}example-inbox
    VAR    ${out} =    ${OUTPUT_DIR}${/}example-broken
    Create Directory    ${inbox}
    Copy File    ${INVOICE}    ${inbox}/
    Create File    ${inbox}/broken.pdf    this is not a PDF
    ${run} =    Run Robot    --variable    INBOX:${inbox}    ${EXAMPLE}    outputdir=${out}
    Should Be Equal As Integers    ${run.rc}    0
    ${review} =    Get File    ${out}/invoices/review.txt
    Should Match    ${review}    broken.pdf: Unsupported file type: *broken.pdf is not a PDF, JPEG, PNG, TIFF, WebP or XML e-invoice file.*
    ${accepted} =    List Files In Directory    ${out}/invoices/accepted
    Should Be Equal    ${accepted}    ${{ ['invoice.pdf'] }}
    [Teardown]    Remove Directory    ${inbox}    recursive=True
