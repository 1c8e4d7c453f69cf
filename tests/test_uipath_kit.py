"""The RPA builders' kit: the UiPath library project and the Power Automate Desktop recipes.

No UiPath or PAD runs here, so the checks are structural: the XAML is well-formed and declares the typed
arguments the README promises, every Invoke Workflow File passes exactly the arguments the invoked
workflow declares, the Invoke Code is the reviewed VB source, and every option a workflow or recipe
gives docrelay exists in the real CLI parser (each command line is parsed by `build_parser()`).
"""

from __future__ import annotations

import argparse
import json
import re
import shlex
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from uipath_activity.cli import build_parser

KIT = Path(__file__).resolve().parent.parent / "uipath_activity"
PROJECT = KIT / "uipath" / "DocRelay"
PAD = KIT / "power_automate"
PUBLIC_WORKFLOWS = {
    "ExtractDocument.xaml": "extract",
    "SubmitDocument.xaml": "submit",
    "GetResult.xaml": "result",
    "ExtractFolder.xaml": "batch",
}
RUNNER = "Framework/RunDocrelay.xaml"
TYPED_OUTPUTS = {
    "out_Ok": "OutArgument(x:Boolean)",
    "out_Result": "OutArgument(njl:JObject)",
    "out_ErrorType": "OutArgument(x:String)",
    "out_ErrorMessage": "OutArgument(x:String)",
    "out_ExitCode": "OutArgument(x:Int32)",
    "out_Job": "OutArgument(x:String)",
}
X = "{http://schemas.microsoft.com/winfx/2006/xaml}"
UI = "{http://schemas.uipath.com/workflow/activities}"
# Keys of an --args-file that become positional arguments (uipath_activity/cli.py, _POSITIONAL_KEYS).
POSITIONAL_KEYS = {"files", "file", "paths", "job"}


# -- helpers ----------------------------------------------------------------------------------------
def members(path: Path) -> dict[str, str]:
    """The workflow's arguments: name -> type as written, e.g. "InArgument(x:String)"."""
    root = ET.parse(path).getroot()
    found = root.find(f"{X}Members")
    assert found is not None, f"{path.name} declares no arguments"
    return {prop.attrib["Name"]: prop.attrib["Type"] for prop in found.findall(f"{X}Property")}


def subcommand_parser(command: str) -> argparse.ArgumentParser:
    parser = build_parser()
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            chosen: argparse.ArgumentParser = action.choices[command]
            return chosen
    raise AssertionError("the CLI has no subcommands")


def cli_options(command: str) -> dict[str, argparse.Action]:
    """Option string -> action for a command, global options included."""
    parser = subcommand_parser(command)
    return {option: action for action in parser._actions for option in action.option_strings}


def cli_positionals(command: str) -> set[str]:
    return {a.dest for a in subcommand_parser(command)._actions if not a.option_strings and a.dest != "help"}


def args_file_keys(xaml: str) -> tuple[str, list[str]]:
    """The command and the other keys of the JObject a workflow writes to the arguments file."""
    command = re.search(r'New JProperty\("command", "([a-z -]+)"\)', xaml)
    assert command, "no command in the arguments"
    keys = re.findall(r'New JProperty\("([a-z_]+)"', xaml)
    return command.group(1), [key for key in keys if key != "command"]


def sample_tokens(command: str, keys: list[str]) -> list[str]:
    """The argv that docrelay builds from an arguments file with these keys (sample values)."""
    options = cli_options(command)
    tokens, positionals = [command], []
    for key in keys:
        if key in POSITIONAL_KEYS:
            positionals.append("sample-value")
            continue
        option = "--" + key.replace("_", "-")
        action = options[option]
        if action.nargs == 0:
            tokens.append(option)
        else:
            tokens += [option, "1" if action.type in (int, float) else "sample-value"]
    return tokens + positionals


# -- XAML and project -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", [*PUBLIC_WORKFLOWS, RUNNER])
def test_xaml_is_well_formed_and_declares_the_typed_outputs(name: str) -> None:
    declared = members(PROJECT / name)
    assert declared.get("in_ExePath") == "InArgument(x:String)"
    for output, typ in TYPED_OUTPUTS.items():
        assert declared.get(output) == typ, f"{name}: {output}"


def test_project_json_is_a_windows_library_listing_the_workflows() -> None:
    project = json.loads((PROJECT / "project.json").read_text(encoding="utf-8"))
    assert project["designOptions"]["outputType"] == "Library"
    assert project["targetFramework"] == "Windows"  # ProcessStartInfo.ArgumentList needs .NET 6+
    assert project["expressionLanguage"] == "VisualBasic"
    listed = {entry["filePath"] for entry in project["entryPoints"]}
    assert listed == set(PUBLIC_WORKFLOWS)
    assert project["designOptions"]["libraryOptions"]["privateWorkflows"] == [RUNNER.replace("/", "\\")]
    assert set(project["dependencies"]) == {"UiPath.System.Activities", "UiPath.WebAPI.Activities"}
    on_disk = {p.relative_to(PROJECT).as_posix() for p in PROJECT.rglob("*.xaml")}
    assert on_disk == {*PUBLIC_WORKFLOWS, RUNNER}


def test_only_standard_activities_are_used() -> None:
    standard = {"InvokeWorkflowFile", "InvokeCode", "WriteTextFile", "ReadTextFile", "DeserializeJson"}
    standard |= {"LogMessage", "Delete"}
    for path in PROJECT.rglob("*.xaml"):
        used = {el.tag[len(UI) :] for el in ET.parse(path).getroot().iter() if el.tag.startswith(UI)}
        used = {tag.split(".", 1)[0] for tag in used}
        assert used <= standard, f"{path.name}: {used - standard}"


@pytest.mark.parametrize("name", PUBLIC_WORKFLOWS)
def test_invoke_workflow_file_passes_exactly_what_the_runner_declares(name: str) -> None:
    root = ET.parse(PROJECT / name).getroot()
    invokes = list(root.iter(f"{UI}InvokeWorkflowFile"))
    assert len(invokes) == 1
    target = PROJECT / invokes[0].attrib["WorkflowFileName"].replace("\\", "/")
    declared = members(target)
    arguments = invokes[0].find(f"{UI}InvokeWorkflowFile.Arguments")
    assert arguments is not None
    passed = {
        el.attrib[f"{X}Key"]: f"{el.tag.rsplit('}', 1)[1]}({el.attrib[f'{X}TypeArguments']})"
        for el in arguments
    }
    assert passed == declared


def test_invoke_code_is_the_reviewed_vb_source() -> None:
    root = ET.parse(PROJECT / RUNNER).getroot()
    (invoke,) = root.iter(f"{UI}InvokeCode")
    source = (KIT / "uipath" / "RunDocrelay.vb").read_text(encoding="utf-8")
    assert invoke.attrib["Code"] == source
    assert invoke.attrib["Language"] == "VBNet"
    keys = {el.attrib[f"{X}Key"] for el in invoke.iter() if f"{X}Key" in el.attrib}
    assert keys == {"exePath", "argsPath", "outputPath", "timeoutSeconds", "exitCode", "stdOut", "stdErr"}
    for key in keys:
        assert re.search(rf"\b{key}\b", source.split("\n", 5)[-1]), f"{key} unused in the code"


def test_invoke_code_passes_only_cli_options() -> None:
    source = (KIT / "uipath" / "RunDocrelay.vb").read_text(encoding="utf-8")
    added = re.findall(r'ArgumentList\.Add\("([^"]+)"\)', source)
    assert added == ["--args-file", "--output"]
    top_level = {option for action in build_parser()._actions for option in action.option_strings}
    assert set(added) <= top_level
    build_parser().parse_args(["--args-file", "a.json", "--output", "out.json", "--version"])


@pytest.mark.parametrize(("name", "command"), PUBLIC_WORKFLOWS.items())
def test_workflow_arguments_exist_in_the_cli(name: str, command: str) -> None:
    found_command, keys = args_file_keys((PROJECT / name).read_text(encoding="utf-8"))
    assert found_command == command
    options = cli_options(command)
    for key in keys:
        if key in POSITIONAL_KEYS:
            assert key in cli_positionals(command), f"{name}: positional {key!r} not in `docrelay {command}`"
        else:
            assert "--" + key.replace("_", "-") in options, f"{name}: --{key} not in `docrelay {command}`"
    parsed = build_parser().parse_args(sample_tokens(command, keys))
    assert parsed.command == command


def test_every_cli_command_the_kit_promises_is_covered() -> None:
    commands = {args_file_keys((PROJECT / n).read_text(encoding="utf-8"))[0] for n in PUBLIC_WORKFLOWS}
    assert commands == {"extract", "submit", "result", "batch"}


def test_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(KeyError):
        sample_tokens("extract", ["no_such_option"])


# -- Power Automate Desktop recipes -----------------------------------------------------------------
def pad_command_lines(text: str) -> list[str]:
    """docrelay argument strings of a recipe: `SET <x>Args TO $'''...'''` and CommandLineArguments."""
    lines = re.findall(r"SET \w*Args TO \$'''(.*?)'''", text)
    lines += re.findall(r"CommandLineArguments: \$'''(.*?)'''", text)
    return lines


def test_pad_recipes_exist_and_are_documented() -> None:
    recipes = sorted(p.name for p in PAD.glob("*.txt"))
    assert recipes == ["run_application_output.txt", "run_dos_command.txt", "submit_then_poll.txt"]
    readme = (PAD / "README.md").read_text(encoding="utf-8")
    for recipe in recipes:
        assert recipe in readme


@pytest.mark.parametrize("recipe", sorted(p.name for p in PAD.glob("*.txt")))
def test_pad_command_lines_parse_with_the_cli(recipe: str) -> None:
    text = (PAD / recipe).read_text(encoding="utf-8")
    command_lines = pad_command_lines(text)
    assert command_lines, f"{recipe} runs no docrelay command"
    for line in command_lines:
        tokens = shlex.split(line)  # PAD variables (%Job%) stay single tokens
        parsed = build_parser().parse_args(tokens)
        assert parsed.command in {"extract", "submit", "result", "status", "batch"}
        assert parsed.timeout is None or parsed.timeout > 10, "raise --timeout above PAD's 10 s default"


def test_pad_dos_command_timeout_is_raised_above_the_default() -> None:
    for recipe in PAD.glob("*.txt"):
        for action in re.findall(r"Scripting\.RunDOSCommand\.\w+ .*", recipe.read_text(encoding="utf-8")):
            timeout = re.search(r"Timeout: (\d+)", action)
            assert timeout and int(timeout.group(1)) > 10, f"{recipe.name}: {action[:80]}"


def test_pad_recipes_parse_json_and_branch_on_the_exit_code() -> None:
    dos = (PAD / "run_dos_command.txt").read_text(encoding="utf-8")
    assert "Variables.ConvertJsonToCustomObject Json: CommandOutput" in dos
    assert "IF CommandExitCode = 0 THEN" in dos and "ELSE IF CommandExitCode = 10 THEN" in dos
    app = (PAD / "run_application_output.txt").read_text(encoding="utf-8")
    assert "System.RunApplication.RunApplicationAndWaitToComplete" in app
    assert "--output" in " ".join(pad_command_lines(app))
    assert "File.ReadTextFromFile.ReadText File: OutputFile Encoding: File.TextFileEncoding.UTF8" in app
