"""The Power Automate Desktop snippets (uipath_activity/power_automate): no PAD runs here, so each
snippet is read as PAD would run it. Robin strings are unescaped and their %variables% filled in, every
Run DOS command line goes through cmd.exe's quote rule and Windows' argument splitting, and what comes out
is parsed by the real CLI parser. The guards (fresh output file, empty answers, the secrets session's
order) are checked line by line; packaging/rpa_e2e.py runs the secrets session itself.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.cli_helpers import REPO
from uipath_activity.cli import build_parser

PAD = REPO / "uipath_activity" / "power_automate"
RECIPES = [
    "review_and_feedback.txt",
    "run_application_output.txt",
    "run_dos_command.txt",
    "secrets_cmd_session.txt",
    "submit_then_poll.txt",
]


def robin(text: str) -> str:
    """A robin $'''...''' string's value: \\\\ is a backslash, \\" a double quote."""
    return re.sub(r"\\(.)", r"\1", text)


def recipe_values(text: str) -> dict[str, str]:
    return {name: robin(value) for name, value in re.findall(r"^\s*SET (\w+) TO \$'''(.*)'''$", text, re.M)}


def expand(text: str, values: dict[str, str]) -> str:
    for _ in range(3):  # variables inside variables
        text = re.sub(r"%(\w+)%", lambda m: values.get(m.group(1), m.group(0)), text)
    return text


def cmd_c(line: str) -> str:
    """What `cmd /c LINE` runs (cmd /? rule 2): a line that starts with a quote loses its first and
    last quote, unless it holds exactly two quotes around an existing program's name with spaces."""
    if line.startswith('"') and line.count('"') > 2:
        last = line.rindex('"')
        return line[1:last] + line[last + 1 :]
    return line


def windows_argv(line: str) -> list[str]:
    """CommandLineToArgvW, for lines without backslash-quote sequences: quotes group, and are dropped."""
    args, current, quoted, started = [], [], False, False
    for char in line:
        if char == '"':
            quoted, started = not quoted, True
        elif char in " \t" and not quoted:
            if started:
                args.append("".join(current))
            current, started = [], False
        else:
            current.append(char)
            started = True
    if started:
        args.append("".join(current))
    return args


def pad_command_lines(text: str) -> list[str]:
    """docrelay argument strings of a recipe: `SET <x>Args TO $'''...'''` and CommandLineArguments."""
    lines = [robin(line) for line in re.findall(r"SET \w*Args TO \$'''(.*?)'''$", text, re.M)]
    lines += [robin(line) for line in re.findall(r"CommandLineArguments: \$'''(.*?)'''", text)]
    return lines


def test_pad_recipes_exist_and_are_documented() -> None:
    recipes = sorted(p.name for p in PAD.glob("*.txt"))
    assert recipes == RECIPES
    readme = (PAD / "README.md").read_text(encoding="utf-8")
    for recipe in recipes:
        assert recipe in readme


@pytest.mark.parametrize("recipe", [r for r in RECIPES if r != "secrets_cmd_session.txt"])
def test_pad_command_lines_parse_with_the_cli(recipe: str) -> None:
    text = (PAD / recipe).read_text(encoding="utf-8")
    command_lines = pad_command_lines(text)
    assert command_lines, f"{recipe} runs no docrelay command"
    for line in command_lines:
        parsed = build_parser().parse_args(windows_argv(line))
        assert parsed.command in {"extract", "submit", "result", "status", "batch", "review", "feedback"}
        assert parsed.timeout is None or parsed.timeout > 10


@pytest.mark.parametrize("recipe", ["run_dos_command.txt", "submit_then_poll.txt", "review_and_feedback.txt"])
def test_run_dos_command_lines_survive_cmd_with_spaces_in_every_path(recipe: str) -> None:
    text = (PAD / recipe).read_text(encoding="utf-8")
    values = recipe_values(text)
    values["Job"] = "drjob1.abc"
    values["ReviewId"] = "drrev1.abc"
    assert " " in values["DocrelayExe"], "the recipe should show an install folder with spaces"
    actions = re.findall(r"DOSCommandOrApplication: \$'''(.*?)''' ", text)
    assert actions
    for action in actions:
        line = expand(robin(action), values)
        argv = windows_argv(cmd_c(line))
        assert argv[0] == values["DocrelayExe"], line
        parsed = build_parser().parse_args(argv[1:])
        document = getattr(parsed, "file", None) or (getattr(parsed, "files", None) or [None])[0]
        assert document in (None, values["InvoicePath"])
        # Without the extra pair of quotes, cmd would mangle any line with a quoted document path.
        bare = expand(robin(action), values)[1:-1]
        if bare.count('"') > 2:
            assert windows_argv(cmd_c(bare))[0] != values["DocrelayExe"]


def test_the_dos_command_timeout_is_on_and_raised() -> None:
    for recipe in PAD.glob("*.txt"):
        for action in re.findall(r"Scripting\.RunDOSCommand\.\w+ .*", recipe.read_text(encoding="utf-8")):
            assert action.startswith("Scripting.RunDOSCommand.RunDOSCommandAndFailOnTimeout "), action[:80]
            timeout = re.search(r"Timeout: (\d+)", action)
            assert timeout and int(timeout.group(1)) > 10, f"{recipe.name}: {action[:80]}"


def test_the_timeout_is_described_as_pad_documents_it() -> None:
    for path in (PAD / "README.md", REPO / "docs" / "rpa.md"):
        text = " ".join(path.read_text(encoding="utf-8").split())
        assert "10 s by default!" not in text and "fails after **10 s** by default" not in text
        assert "Fail after timeout" in text, path.name


def test_every_json_conversion_is_guarded() -> None:
    """No empty CommandOutput and no missing output file reaches Convert JSON to custom object."""
    for recipe in RECIPES:
        lines = (PAD / recipe).read_text(encoding="utf-8").splitlines()
        for index, line in enumerate(lines):
            found = re.search(r"ConvertJsonToCustomObject Json: (\w+)", line)
            if not found:
                continue
            source = found.group(1)
            before = "\n".join(lines[:index])
            if source.endswith("Json"):  # read from the output file
                assert "IF (File.IfFile.DoesNotExist File: OutputFile) THEN" in before, recipe
            else:
                assert f"IF {source} = $'''''' THEN" in before, f"{recipe}: {source} unchecked"


@pytest.mark.parametrize("recipe", ["run_application_output.txt", "secrets_cmd_session.txt"])
def test_the_output_file_is_new_for_every_run_and_deleted_first(recipe: str) -> None:
    text = (PAD / recipe).read_text(encoding="utf-8")
    assert "SET OutputFile TO $'''%WorkFolder%\\\\docrelay-%RunStamp%.json'''" in text
    assert "CustomFormat: $'''yyyyMMdd-HHmmss-fff''' Result=> RunStamp" in text
    delete = text.index("    File.Delete Files: OutputFile")
    run = text.index("System.RunApplication") if "System.RunApplication" in text else text.index("Cmd.Open")
    check = text.index("IF (File.IfFile.DoesNotExist File: OutputFile) THEN")
    read = text.index("File.ReadTextFromFile.ReadText File: OutputFile")
    assert delete < run < check < read
    assert '--output \\"%OutputFile%\\"' in text


def test_run_application_reads_the_answer_it_got() -> None:
    text = (PAD / "run_application_output.txt").read_text(encoding="utf-8")
    assert "File.ReadTextFromFile.ReadText File: OutputFile Encoding: File.TextFileEncoding.UTF8" in text
    assert "IF DocrelayOutput['ok'] = True THEN" in text


def test_the_secrets_session_writes_no_secret_into_a_command_line() -> None:
    text = (PAD / "secrets_cmd_session.txt").read_text(encoding="utf-8")
    writes = re.findall(r"Cmd\.Write Session: CmdSession Command: \$'''(.*)''' SendEnter: True", text)
    command, settings, marker = (robin(w) for w in writes)
    assert "%ClientSecret%" not in command and "--secrets-stdin" in command
    values = {
        "DocrelayExe": "C:/docrelay/docrelay.exe",
        "InvoicePath": "C:/in/a b.pdf",
        "OutputFile": "o.json",
    }
    argv = windows_argv(expand(command, values))
    assert argv[0] == values["DocrelayExe"]
    parsed = build_parser().parse_args(argv[1:])
    assert parsed.secrets_stdin and parsed.output == "o.json" and parsed.files == [values["InvoicePath"]]
    handed = json.loads(expand(settings, {"ClientId": "id", "ClientSecret": "s3cret"}))
    assert handed == {"client_id": "id", "client_secret": "s3cret"}
    assert marker == "echo DOCRELAY^_FINISHED"
    assert text.index("IF (File.IfFile.DoesNotExist File: DocrelayExe) THEN") < text.index("Cmd.Open")
