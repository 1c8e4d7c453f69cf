"""The library documentation of robot_library.DocRelay (libdoc shows it as the introduction)."""

LIBRARY_DOC = """\
Document AI for Robot Framework: push documents to Cradl, contract.fit, DeepOpinion or the offline
``local`` engine, and get one normalized result back.

== Table of contents ==

%TOC%

= Providers and configuration =

The library talks to one provider at a time. ``local`` (offline, no account) is the default when nothing
else is configured. Choose another one when importing the library (in the Settings section), or at run
time with `Use Provider`:

| Library    robot_library.DocRelay    provider=cradl    timeout=2 min
| ...        client_id=%{CRADL_CLIENT_ID}    client_secret=${CRADL_SECRET}

Import arguments: ``provider``, ``profile`` (a profile of the docrelay configuration file), ``timeout``
(how long to wait for a job; Robot time format: ``90``, ``2 min``, ``1 hour 30 min``), ``model`` (the
default model of the keywords), ``poll_interval`` (the first pause between two looks at a running job)
and any provider setting, named as everywhere in docrelay: ``client_id``, ``client_secret``, ``api_url``,
``auth_url``, ``access_token`` (Cradl); ``url``, ``api_key``, ``username``, ``password``, ``inbox``
(contract.fit); ``url``, ``email``, ``password``, ``token``, ``organization``, ``project`` (DeepOpinion);
and ``ca_bundle``, ``truststore``, ``rate_limit`` for any provider.

A setting not given here comes from the environment (``DOCRELAY_CRADL_CLIENT_ID``, ...), then from the
profile file, then from the built-in default, exactly as for the ``docrelay`` command, so a robot can
rely on ``docrelay config set`` and keep no settings in its data at all. Nothing is read or checked
when the library is imported: the first keyword that needs the provider does it, and fails clearly.

The library has GLOBAL scope: one connection per provider is shared by every suite of the run.

= Secrets =

Every credential accepts a Robot Framework ``Secret`` (Robot Framework 7.4 or newer) or a plain
string. Neither is ever written to output.xml, log.html or report.html, at any log level: Secret
values are hidden by Robot itself, plain strings are masked by the library from the moment a keyword
receives them (including Robot's own TRACE logging of the arguments), and tokens the service issues
are masked too. Prefer Secret values, created from environment variables in the Variables section:

| ${CRADL_SECRET: Secret}    %{CRADL_CLIENT_SECRET}

or on the command line: ``robot --variable "CRADL_SECRET: Secret:..." tasks.robot``. A plain string
that passes through other keywords before reaching this library may be logged by them.

= Results =

`Extract Document` and `Wait For Result` return the normalized result as a dictionary, the same shape
for every provider (the docrelay result schema ``docrelay.result/1``):

| schema, provider, model, status (pending | succeeded | failed), error,
| document (source, name, sha256, content_type, size, pages, id), prediction_id,
| fields (name: value, confidence, page, raw_value, box, candidates),
| tables (name: list of rows, each column: value, confidence, page), extras, raw

Values are text: dates in ISO 8601 (``2026-03-14``), amounts with a decimal point (``1836.60``).
``confidence`` is 0..1, or ``None`` where the service gives none; ``raw`` is the service's own answer.
Use `Get Field Value`, `Get Table Rows` and the other result keywords, or plain Robot syntax:
``${result}[fields][total_amount][value]`` or ``${result.fields.total_amount.value}``.

= Failures =

Failures are one line that says what went wrong and what to do next, with no traceback at the
default log level:

- A wrong path, an unsupported or empty file, an unknown model, a missing field, a value below a
  threshold, a service error or a network error fails the keyword.
- Refused credentials (HTTP 401/403) are a fatal error: the run stops, since every later test would
  fail the same way.
- A job that does not finish within the timeout fails with its job handle in the message, so that a
  later keyword (or a later run) can resume it with `Wait For Result`.
- The validation keywords (`Field Should Have Confidence`, `Field Value Should Be`,
  `Result Should Have Succeeded`) fail as continuable failures: the test goes on, and every check of
  a document reports.

`Extract Documents` does not fail for a document it cannot process: that document's result has
``status`` ``failed`` and an ``error``, and the others go on.

= Logging =

Each keyword logs one line at INFO: what it did, the document, provider, model, time taken and
status. The full result is logged as JSON at DEBUG. HTTP details are logged at TRACE only.

= Batches and the journal =

`Extract Documents` processes many documents concurrently. With ``journal=``, each document is
recorded in a journal file as it goes: running the same robot again costs nothing for the documents
that already succeeded, and a run that was killed resumes without predicting anything twice.

Robots on several machines share one intake with a PostgreSQL journal: ``journal=postgresql://robot@db:5432/intake``
(or the ``journal`` setting, or the variable ``DOCRELAY_JOURNAL``). Each document is then predicted
once by one of the robots, and every robot gets every result. Give the password as the
``journal_password`` setting (a ``keyring:`` reference in the profile, or ``DOCRELAY_JOURNAL_PASSWORD``),
or the whole connection string as a ``Secret``; it is never logged.

= Human review =

A result a person should look at goes to review: ``review_below=0.8`` on `Extract Document` (or
`Extract Documents`) sends it when a field's confidence is below 0.8 or its sums do not add up (lines
to net, net plus VAT to total); `Start Review` sends any finished result. Such a result has status
``needs_review`` and ``[review]`` with its ``id``, a ``link`` where the person reviews it, and the
``reasons``. `Wait For Review` returns the reviewed result; each field says whether the reviewer
changed it (``edited``). `Complete Review` marks it consumed; `Send Feedback` sends corrected values
back so the service learns from them.

| ${result} =    Extract Document    ${file}    review_below=0.8
| IF    '${result}[status]' == 'needs_review'
|     Log    Review at ${result}[review][link]
|     ${result} =    Wait For Review    ${result}    timeout=4 h
| END

Cradl reviews in a workflow (setting ``review_workflow``) or in an agent's validation task;
contract.fit in the inbox (the document waits for a person to submit it); DeepOpinion in the HITL its
model has (reviews it opened itself). ``delete_after=True`` deletes the document on the service once its
values are in hand (Cradl, contract.fit).

= Example =

A task that reads an invoice with the offline ``local`` provider, after ``Library    robot_library.DocRelay``
in its Settings section (examples/robot/invoice_robot.robot in the repository is a complete robot):

| Read An Invoice
|     ${result} =    Extract Document    ${CURDIR}/invoice.pdf    model=invoice
|     ${total} =    Get Field Value    ${result}    total_amount    min_confidence=0.9
|     ${lines} =    Get Table Rows    ${result}
|     Log    ${total} in ${{len($lines)}} lines
"""
