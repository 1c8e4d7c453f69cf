"""The commands of `docrelay`: each turns parsed arguments into one core call and its JSON `data`.

Thin on purpose: decisions about documents, providers and results live in core.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from core.errors import BatchFailedError, Interrupted, UsageError

if TYPE_CHECKING:
    from core.providers.base import PredictOptions
    from core.review import ReviewPolicy
    from core.services import Client


def _options(args: argparse.Namespace) -> PredictOptions:
    from core.providers.base import PredictOptions

    return PredictOptions.parse(pages=args.pages, options=args.option)


def _review(args: argparse.Namespace) -> ReviewPolicy | None:
    from core.review import ReviewPolicy

    return ReviewPolicy.parse(below=args.review_below, fields=args.review_field)


def _client(args: argparse.Namespace) -> Client:
    from core.services import Client

    return Client(provider=args.provider, profile=args.profile, timeout=args.timeout)


def _cmd_extract(args: argparse.Namespace) -> Any:
    from core.models import summarize

    with _client(args) as client:
        review, delete_after = _review(args), args.delete_after
        if len(args.files) == 1:
            result = client.extract(
                args.files[0],
                model=args.model,
                options=_options(args),
                agent=args.agent,
                review=review,
                delete_after=delete_after,
            )
            return result.to_dict()
        results = client.extract_many(
            args.files,
            model=args.model,
            options=_options(args),
            agent=args.agent,
            review=review,
            delete_after=delete_after,
        )
    summary = summarize(results)
    data = {"summary": summary, "results": [r.to_dict() for r in results]}
    BatchFailedError.raise_if_any(summary, data)
    return data


def _cmd_submit(args: argparse.Namespace) -> Any:
    with _client(args) as client:
        job = client.submit(args.file, model=args.model, options=_options(args), agent=args.agent)
    return {
        "job": job.encode(),
        "status": "pending",
        "provider": job.provider,
        "model": job.model,
        "prediction_id": job.prediction_id,
        "document": job.document.model_dump(mode="json"),
    }


def _job_client(args: argparse.Namespace) -> Client:
    """The handle knows its provider and profile: --provider is needed only to override them."""
    from core.services import Client

    return Client.for_job(args.job, provider=args.provider, profile=args.profile, timeout=args.timeout)


def _cmd_status(args: argparse.Namespace) -> Any:
    with _job_client(args) as client:
        return client.status(args.job).to_dict()


def _cmd_result(args: argparse.Namespace) -> Any:
    from core.models import is_job_handle

    if not is_job_handle(args.job):  # a document: what the batches journaled for it
        with _client(args) as client:
            found = client.journal_result(args.job, model=args.model, journal=args.journal, wait=args.wait)
            return found.to_dict()
    with _job_client(args) as client:
        return client.result(args.job, wait=args.wait).to_dict()


def _cmd_batch(args: argparse.Namespace) -> Any:
    from core.batch import collect_paths
    from core.batch.progress import ProgressBar
    from core.services import Client
    from core.tabular import check_csv_target, write_results_csv

    if args.csv:
        check_csv_target(args.csv)
    if args.xlsx:
        from core.workbook.run import check_workbook_target

        check_workbook_target(args.xlsx)
    paths = collect_paths(args.paths, pattern=args.glob, files_from=args.files_from)
    progress = ProgressBar(len(paths), enabled=False if args.quiet else None)
    # What is loaded now lives as long as the process: keep the collector from walking it again and
    # again while the workers run (a full collection stalls every worker at once).
    gc.freeze()

    def finished(result: Any) -> None:
        progress.update(result)
        if args.ndjson:  # one line per document now; the envelope still comes last
            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=True) + "\n")
            sys.stdout.flush()

    tuning = {"rate_limit": args.rate_limit} if args.rate_limit is not None else None
    data: dict[str, Any] = {}
    started = datetime.now()
    try:
        with Client(args.provider, profile=args.profile, timeout=args.timeout, settings=tuning) as client:
            outcome = client.batch(
                paths,
                model=args.model,
                options=_options(args),
                concurrency=args.concurrency,
                journal=args.journal,
                on_result=finished,
                review=_review(args),
                delete_after=args.delete_after,
            )
            progress.close()
            if args.xlsx:
                from core.workbook.run import fill_workbook

                written = fill_workbook(
                    args.xlsx,
                    outcome.results,
                    client=client,
                    model=args.model,
                    started=started,
                    from_journal=outcome.from_journal,
                )
                data["xlsx"] = written.to_dict()
    finally:
        progress.close()
    data = {
        "summary": outcome.summary,
        "from_journal": outcome.from_journal,
        "journal": outcome.journal,
        **data,
    }
    if args.csv:
        documents, lines = write_results_csv(outcome.results, args.csv)
        data["csv"] = {"documents": str(documents), "line_items": str(lines)}
    if not args.ndjson:
        data["results"] = [r.to_dict() for r in outcome.results]
    if outcome.interrupted:
        summary = outcome.summary
        raise Interrupted(
            f"Stopped with {summary['pending']} of {summary['total']} documents unfinished",
            hint="Run the same command again: nothing finished is sent again, unfinished documents resume",
            details=data,
        )
    BatchFailedError.raise_if_any(outcome.summary, data)
    return data


def _review_client(args: argparse.Namespace) -> Client:
    from core.services import Client

    return Client.for_review(
        args.review_id, provider=args.provider, profile=args.profile, timeout=args.timeout
    )


def _cmd_review(args: argparse.Namespace) -> Any:
    from core.review.handle import is_review_handle

    action = args.review_command
    if action == "wait":
        with _review_client(args) as client:
            return client.wait_for_review(args.review_id, delete_after=args.delete_after).to_dict()
    if action in ("get", "complete") and is_review_handle(args.review_id):
        with _review_client(args) as client:
            if action == "complete":
                return client.complete_review(args.review_id)
            if args.wait:
                return client.wait_for_review(args.review_id).to_dict()
            return client.review_status(args.review_id).to_dict()
    if action == "start" and args.result:
        return _start_result_review(args)
    with _client(args) as client:
        if action == "start":
            if not args.file or not args.workflow:
                raise UsageError(
                    "review start needs a result (--result FILE), or a document and a workflow",
                    hint="E.g. `docrelay review start --result invoice.json`, or "
                    "`docrelay review start invoice.pdf --workflow las:workflow:...` (cradl).",
                )
            review = client.review_start(args.file, workflow=args.workflow, title=args.title)
        elif action == "get":
            review = client.review_wait(args.review_id) if args.wait else client.review(args.review_id)
        elif action == "complete":
            review = client.review_complete(args.review_id)
        else:
            found = client.reviews(args.workflow, status=args.status, limit=args.max)
            return {"reviews": [r.model_dump(mode="json") for r in found]}
    return review.model_dump(mode="json")


def _start_result_review(args: argparse.Namespace) -> Any:
    from core.review.service import load_result_file
    from core.services import Client

    result = load_result_file(args.result)
    with Client(args.provider or result.provider, profile=args.profile, timeout=args.timeout) as client:
        return client.start_review(result, reason=args.reason).to_dict()


def _cmd_feedback(args: argparse.Namespace) -> Any:
    from core.review.service import feedback_target, parse_corrections
    from core.services import Client

    parse_corrections(args.field)  # no values: said before anything else is read
    target = feedback_target(args.target)
    provider = args.provider or target.provider
    with Client(provider, profile=args.profile or target.profile, timeout=args.timeout) as client:
        return client.feedback(args.target, args.field)


def _cmd_models(args: argparse.Namespace) -> Any:
    with _client(args) as client:
        return {
            "provider": client.provider_name,
            "models": [m.model_dump(mode="json") for m in client.models()],
        }


def _cmd_analyze(args: argparse.Namespace) -> Any:
    if not args.files and not args.text:
        raise UsageError("Nothing to analyze", hint='Give .txt or .csv files, or --text "..." (repeatable).')
    with _client(args) as client:
        result = client.analyze(
            args.files,
            texts=args.text,
            model=args.model,
            column=args.column,
            per_line=args.per_line,
            split=not args.no_split,
        )
    return result.to_dict()


def _cmd_doctor(args: argparse.Namespace) -> Any:
    from core.errors import error_class_for_type

    with _client(args) as client:
        checks = client.doctor()
    data = {"provider": client.provider_name, "checks": [c.model_dump(mode="json") for c in checks]}
    failed = [c for c in checks if not c.ok]
    if failed:
        error_cls = error_class_for_type(failed[0].error_type)
        raise error_cls(
            f"{len(failed)} of {len(checks)} checks failed; first: {failed[0].name}: {failed[0].detail}",
            details=data,
        )
    return data


def _cmd_config(args: argparse.Namespace) -> Any:
    from core import config

    if args.config_command == "show":
        # Display only: keyring references are shown, not read, so a locked store cannot break `show`.
        settings = config.resolve_settings(
            args.provider, args.profile, {"timeout": args.timeout}, read_keyring=False
        )
        return settings.shown()
    if args.config_command == "set":
        return config.set_value(args.key, args.value, profile=args.profile, provider=args.provider)
    secret = args.value
    if args.stdin:
        secret = sys.stdin.readline().rstrip("\r\n")
    if not secret:
        raise UsageError(
            f"No value given for secret {args.key!r}",
            hint=f"Use `docrelay config set-secret {args.key} --stdin` and pipe the value in "
            "(docrelay never prompts).",
        )
    return config.set_secret(args.key, secret, profile=args.profile, provider=args.provider)


COMMANDS: dict[str, Callable[[argparse.Namespace], Any]] = {
    "extract": _cmd_extract,
    "submit": _cmd_submit,
    "status": _cmd_status,
    "result": _cmd_result,
    "batch": _cmd_batch,
    "review": _cmd_review,
    "feedback": _cmd_feedback,
    "models": _cmd_models,
    "doctor": _cmd_doctor,
    "analyze": _cmd_analyze,
    "config": _cmd_config,
}
