"""What the keywords share: Robot Framework's Secret type, turning core errors into Robot failures,
keeping credentials out of output.xml and log.html, and quiet logging during a keyword."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from robot.api import logger
from robot.api.exceptions import ContinuableFailure, Failure, FatalError

from core.errors import AuthError, DocRelayError, JobTimeoutError
from core.redact import MASK, is_secret_key, redact_text, register_secret

if TYPE_CHECKING:
    from core.models import Result

try:
    from robot.api.types import Secret as Secret
except ImportError:  # Robot Framework < 7.4 has no Secret type: only plain strings can be given.

    class Secret:  # type: ignore[no-redef]
        """Stand-in so that the type hints still work; no value is ever of this type."""

        value: str


DEBUG_JSON_LIMIT = 100_000  # characters of a result logged at DEBUG
_NAMED_ARGUMENT = re.compile(r"^([A-Za-z_][\w-]*)=(.*)$", re.DOTALL)
_VARIABLE_START = ("${", "%{", "@{", "&{")


# -- failures ------------------------------------------------------------------------------------
class DocRelayFailure(Failure):
    """A keyword failed; the message is one line saying what went wrong and what to do next."""


class DocRelayCheckFailure(ContinuableFailure):
    """A validation failed; the test goes on so that every check of a document reports."""


class DocRelayFatalError(FatalError):
    """The credentials were refused: every later test would fail the same way, so the run stops."""

    ROBOT_SUPPRESS_NAME = True


def one_line(text: str) -> str:
    return " ".join(text.split())


def robot_error(exc: DocRelayError) -> Exception:
    """The Robot Framework exception for a core error: fatal for refused credentials, a failure that
    names the job handle for a timeout (so that a later keyword can resume it), else a failure."""
    if isinstance(exc, AuthError):
        return DocRelayFatalError(one_line(exc.full_message))
    if isinstance(exc, JobTimeoutError) and exc.job:
        return DocRelayFailure(
            one_line(
                f"{exc.message.rstrip('.')}. The job goes on: resume it later with Wait For Result and "
                f"its job handle {exc.job} (or give a longer timeout)"
            )
        )
    return DocRelayFailure(one_line(exc.full_message))


@contextmanager
def keyword_call() -> Iterator[None]:
    """Run a keyword's body: core errors become one-line Robot failures (no traceback at INFO), and
    HTTP libraries' debug chatter stays out of the log unless the log level is TRACE."""
    quiet = _log_level() != "TRACE"
    saved = [(name, logging.getLogger(name).level) for name in ("urllib3", "docrelay")] if quiet else []
    if quiet:
        logging.getLogger("urllib3").setLevel(logging.WARNING)
        logging.getLogger("docrelay").setLevel(logging.INFO)
    try:
        yield
    except DocRelayError as exc:
        raise robot_error(exc) from None
    finally:
        for name, level in saved:
            logging.getLogger(name).setLevel(level)


def _log_level() -> str | None:
    try:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError

        try:
            level = BuiltIn().get_variable_value("${LOG_LEVEL}")
        except RobotNotRunningError:
            return None
        return str(level).upper() if level else None
    except Exception:  # outside Robot, or an API change: just do not quieten anything
        return None


class Stopwatch:
    def __init__(self) -> None:
        self.started = time.monotonic()

    def __str__(self) -> str:
        return f"{time.monotonic() - self.started:.2f} s"


# -- values --------------------------------------------------------------------------------------
def plain_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Settings with Secret values unwrapped; every secret value is registered for redaction first."""
    out: dict[str, Any] = {}
    for name, value in settings.items():
        if isinstance(value, Secret):
            value = value.value
            register_robot_secret(str(value))
        elif is_secret_key(name) and isinstance(value, str):
            register_robot_secret(value)
        out[name] = value
    return out


def plain_journal(journal: Any) -> str | None:
    """The journal argument as text; a Secret's value and a connection string's password are registered
    for redaction first."""
    if journal is None:
        return None
    if isinstance(journal, Secret):
        journal = journal.value
        register_robot_secret(str(journal))
    text = str(journal).strip()
    if "://" in text:
        from urllib.parse import urlsplit

        try:
            password = urlsplit(text).password
        except ValueError:
            password = None
        if password:
            register_robot_secret(password)
    return text or None


def register_robot_secret(value: str) -> None:
    """Register a secret as it is and as Robot's logs may quote it: TRACE shows arguments as Python
    reprs (`'it\\'s'`), and results as JSON, both of which escape quotes and backslashes."""
    register_secret(value)
    for quoted in (repr(value), json.dumps(value), json.dumps(value, ensure_ascii=False)):
        if quoted[1:-1] != value:
            register_secret(quoted[1:-1])


def seconds(value: timedelta | float | int | None, what: str = "timeout") -> float | None:
    """A duration in seconds (Robot converts `2 min`, `30 s` or `1.5` to timedelta); None stays None."""
    if value is None:
        return None
    number = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if number <= 0:
        raise DocRelayFailure(f"The {what} must be positive, not {number:g} s")
    return number


def as_result(value: Any) -> Result:
    """A result dictionary (as Extract Document returns it) as core's Result."""
    from pydantic import ValidationError

    from core.models import Result

    if isinstance(value, Mapping):
        try:
            return Result.model_validate(dict(value))
        except ValidationError as exc:
            problem = exc.errors()[0]
            where = ".".join(str(p) for p in problem.get("loc", ())) or "the top level"
            raise DocRelayFailure(
                f"That is not a docrelay result ({where}: {problem.get('msg')}). "
                "Pass the dictionary that Extract Document or Wait For Result returned."
            ) from None
    raise DocRelayFailure(
        f"Expected a docrelay result dictionary, got {type(value).__name__}. "
        "Pass the dictionary that Extract Document or Wait For Result returned."
    )


def robot_value(data: Any) -> Any:
    """Dictionaries as Robot's DotDict, so that `${result.fields.total_amount.value}` works too."""
    from robot.utils import DotDict  # type: ignore[import-untyped]

    if isinstance(data, dict):
        return DotDict(data)
    if isinstance(data, list):
        return [robot_value(item) for item in data]
    return data


def log_json(data: Any) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
    if len(text) > DEBUG_JSON_LIMIT:
        text = text[:DEBUG_JSON_LIMIT] + f"\n... ({len(text) - DEBUG_JSON_LIMIT} more characters)"
    logger.debug(text)


# -- keeping secrets out of Robot's outputs ------------------------------------------------------
class SecretMasker:
    """A library listener that keeps credentials out of output.xml and log.html.

    Robot logs a keyword's arguments at TRACE before the keyword runs, so this listener registers the
    secret-named arguments of DocRelay keywords (client_secret=..., password=...) as soon as the
    keyword starts; every message logged afterwards, by any library, has registered secrets and
    credential-shaped text masked. Literal secrets written in the data are masked in the keyword's
    recorded arguments. Secret objects need none of this: Robot never shows their value.
    """

    ROBOT_LISTENER_API_VERSION = 3

    def __init__(self, library: object) -> None:
        self.library = library

    def _is_ours(self, implementation: Any) -> bool:
        """A keyword of this library (any instance of it: imported twice with an alias, too)."""
        return getattr(getattr(implementation, "owner", None), "code", None) is type(self.library)

    def start_library_keyword(self, data: Any, implementation: Any, result: Any) -> None:
        if not self._is_ours(implementation):
            return
        for argument in data.args:
            if isinstance(argument, str):
                _register_argument(argument)

    def end_library_keyword(self, data: Any, implementation: Any, result: Any) -> None:
        if self._is_ours(implementation):
            result.args = tuple(_masked_argument(a) for a in result.args)

    def log_message(self, message: Any) -> None:
        text = message.message
        if isinstance(text, str):
            masked = redact_text(text)
            if masked != text:
                message.message = masked

    def end_test(self, data: Any, result: Any) -> None:
        if result.message:
            result.message = redact_text(result.message)

    def end_suite(self, data: Any, result: Any) -> None:
        if result.message:
            result.message = redact_text(result.message)

    def close(self) -> None:
        close = getattr(self.library, "_close_clients", None)
        if close is not None:
            close()


def _register_argument(argument: str) -> None:
    """Register the value of `secret_name=...` or of the secret keys of a `&{dict}` argument."""
    match = _NAMED_ARGUMENT.match(argument)
    if match and is_secret_key(match.group(1)):
        _register_value(_resolve(match.group(2)))
    elif argument.startswith("&{"):
        values = _resolve(argument)
        if isinstance(values, Mapping):
            for key, value in values.items():
                if is_secret_key(str(key)):
                    _register_value(value)


def _register_value(value: Any) -> None:
    if isinstance(value, str):
        register_robot_secret(value)


def _resolve(text: str) -> Any:
    if "{" not in text:
        return text
    try:
        from robot.libraries.BuiltIn import BuiltIn

        return BuiltIn().replace_variables(text)
    except Exception:  # an unknown variable: the keyword itself reports it
        return None


def _masked_argument(argument: Any) -> Any:
    if not isinstance(argument, str):
        return argument
    match = _NAMED_ARGUMENT.match(argument)
    if match and is_secret_key(match.group(1)) and not match.group(2).startswith(_VARIABLE_START):
        return f"{match.group(1)}={MASK}"
    return argument


def model_text(model: str | None) -> str:
    """` (model X)` for a log line, or nothing."""
    return f" (model {model})" if model else ""


def number_text(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"
