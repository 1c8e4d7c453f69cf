*** Settings ***
Documentation    Invoice robot: reads every PDF in an inbox folder, extracts it with docrelay, sends the
...              invoices whose key fields are uncertain (or that could not be read) to a review folder,
...              files the others as accepted, and writes all results to a CSV file for accounts.
...
...              Runs offline with the local provider:
...              | robot --outputdir out examples/robot
...              With a cloud service, e.g. Cradl (credentials from DOCRELAY_CRADL_CLIENT_ID and
...              DOCRELAY_CRADL_CLIENT_SECRET, or from a docrelay profile):
...              | robot --variable PROVIDER:cradl --variable MODEL:las:model:... --outputdir out examples/robot

Library          Collections
Library          OperatingSystem
Library          robot_library.DocRelay    provider=${PROVIDER}    model=${MODEL}    timeout=5 min


*** Variables ***
${INBOX}         ${CURDIR}/../../samples
${OUTBOX}        ${OUTPUT_DIR}/invoices
${PROVIDER}      local
${MODEL}         invoice
${THRESHOLD}     0.8
@{KEY_FIELDS}    invoice_number    invoice_date    total_amount    supplier_name


*** Tasks ***
Process The Invoice Inbox
    [Documentation]    Extracts the inbox, files each invoice as accepted or for review, and writes the
    ...    results CSV (with its line items) and the review list.
    Create Directory    ${OUTBOX}/accepted
    Create Directory    ${OUTBOX}/review
    ${results} =    Extract Documents    ${INBOX}    pattern=*.pdf    journal=${OUTBOX}/journal.sqlite3
    ${review} =    Route Invoices    ${results}
    Write Results To CSV    ${results}    ${OUTBOX}/invoices.csv
    Write Review List    ${review}
    ${count} =    Get Length    ${results}
    ${to_review} =    Get Length    ${review}
    Log    ${count} invoices read, ${to_review} sent to review: see ${OUTBOX}    console=True


*** Keywords ***
Route Invoices
    [Documentation]    Files each invoice in the accepted or review folder; returns the review list lines.
    [Arguments]    ${results}
    VAR    @{review} =    @{EMPTY}
    FOR    ${result}    IN    @{results}
        ${reason} =    Reason For Review    ${result}
        IF    $reason
            Append To List    ${review}    ${result}[document][name]: ${reason}
            File Invoice    ${result}    review
        ELSE
            File Invoice    ${result}    accepted
        END
    END
    RETURN    ${review}

Reason For Review
    [Documentation]    Why a person should look at this invoice, or an empty string if nobody needs to.
    [Arguments]    ${result}
    IF    $result["status"] != "succeeded"
        RETURN    ${result}[error][message]
    END
    ${doubtful} =    Get Low Confidence Fields    ${result}    ${THRESHOLD}    @{KEY_FIELDS}
    IF    $doubtful
        ${fields} =    Catenate    SEPARATOR=,${SPACE}    @{doubtful}
        RETURN    uncertain ${fields}
    END
    RETURN    ${EMPTY}

File Invoice
    [Documentation]    Copies the invoice's file into the accepted or review folder.
    [Arguments]    ${result}    ${folder}
    VAR    ${source} =    ${result}[document][source]
    IF    $source and os.path.isfile($source)
        Copy File    ${source}    ${OUTBOX}/${folder}/
    END

Write Review List
    [Documentation]    One line per invoice to review: its file name and why.
    [Arguments]    ${review}
    ${text} =    Catenate    SEPARATOR=\n    @{review}
    Create File    ${OUTBOX}/review.txt    ${text}
