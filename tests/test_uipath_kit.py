"""The UiPath library project (uipath_activity/uipath/DocRelay), its smoke process and its Windows workflow.

No UiPath runs here, so the checks are structural: the XAML is well-formed and declares the typed
arguments (each with its tooltip) the README promises, every Invoke Workflow File passes exactly the
arguments the invoked workflow declares, the Invoke Code is the reviewed VB source, the Try Catch maps
every failure to the outputs, and every option a workflow gives docrelay exists in the real CLI parser.
Each workflow's own VB expression for the arguments file is evaluated (packaging/uipath_workflow.py),
and packaging/rpa_e2e.py runs the installed program the way the workflows do. The PAD snippets are in
test_pad_snippets.py.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli_helpers import REPO, docrelay_executable
from tests.packaging_helpers import load
from uipath_activity.cli import build_parser

uipath_workflow = load("uipath_workflow")

KIT = Path(__file__).resolve().parent.parent / "uipath_activity"
PROJECT = KIT / "uipath" / "DocRelay"
PUBLIC_WORKFLOWS = {
    "ExtractDocument.xaml": "extract",
    "SubmitDocument.xaml": "submit",
    "GetResult.xaml": "result",
    "ExtractFolder.xaml": "batch",
    "WaitForReview.xaml": "review wait",
    "SendFeedback.xaml": "feedback",
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
POSITIONAL_KEYS = {"files", "file", "paths", "job", "review_id", "target"}


# -- helpers ----------------------------------------------------------------------------------------
def members(path: Path) -> dict[str, str]:
    """The workflow's arguments: name -> type as written, e.g. "InArgument(x:String)"."""
    root = ET.parse(path).getroot()
    found = root.find(f"{X}Members")
    assert found is not None, f"{path.name} declares no arguments"
    return {prop.attrib["Name"]: prop.attrib["Type"] for prop in found.findall(f"{X}Property")}


def subcommand_parser(command: str) -> argparse.ArgumentParser:
    """The parser of `command`, e.g. "extract", or a nested one such as "review wait"."""
    parser = build_parser()
    for word in command.split():
        found = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        if not found:
            raise AssertionError(f"the CLI has no subcommand {command!r}")
        parser = found[0].choices[word]
    return parser


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
    tokens, positionals = command.split(), []
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
    # As Studio saves a library: a main workflow, no entry points, project paths with forward slashes.
    assert project["main"] in PUBLIC_WORKFLOWS
    assert project["entryPoints"] == []
    assert project["designOptions"]["libraryOptions"]["privateWorkflows"] == [RUNNER]
    assert set(project["dependencies"]) == {"UiPath.System.Activities", "UiPath.WebAPI.Activities"}
    on_disk = {p.relative_to(PROJECT).as_posix() for p in PROJECT.rglob("*.xaml")}
    assert on_disk == {*PUBLIC_WORKFLOWS, RUNNER}


def test_only_standard_activities_are_used() -> None:
    standard = {"InvokeWorkflowFile", "InvokeCode", "WriteTextFile", "ReadTextFile"}
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
    assert keys == {
        "exePath",
        "argsPath",
        "outputPath",
        "timeoutSeconds",
        "childEnvironment",
        "secretVariable",
        "secret",
        "exitCode",
        "stdOut",
        "stdErr",
    }
    code = "\n".join(line for line in source.splitlines() if not line.startswith("'"))
    for key in keys:
        assert re.search(rf"\b{key}\b", code), f"{key} unused in the code"


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
    assert " ".join(filter(None, (parsed.command, getattr(parsed, "review_command", None)))) == command


def test_every_cli_command_the_kit_promises_is_covered() -> None:
    commands = {args_file_keys((PROJECT / n).read_text(encoding="utf-8"))[0] for n in PUBLIC_WORKFLOWS}
    assert commands == {"extract", "submit", "result", "batch", "review wait", "feedback"}


def test_a_wrong_option_would_be_caught() -> None:
    with pytest.raises(KeyError):
        sample_tokens("extract", ["no_such_option"])


# -- issue 18: what users would hit ----------------------------------------------------------------
ALL_WORKFLOWS = [*PUBLIC_WORKFLOWS, RUNNER]
SAP2010 = "{http://schemas.microsoft.com/netfx/2010/xaml/activities/presentation}"
ACT = "{http://schemas.microsoft.com/netfx/2009/xaml/activities}"


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_every_argument_carries_its_tooltip_as_studio_keeps_it(name: str) -> None:
    text = (PROJECT / name).read_text(encoding="utf-8")
    assert "<!--" not in text, "Studio drops XML comments when it saves: use annotations"
    root = ET.fromstring(text)
    members = root.find(f"{X}Members")
    assert members is not None
    for prop in members.findall(f"{X}Property"):
        tip = prop.attrib.get(f"{SAP2010}Annotation.AnnotationText", "")
        assert len(tip) > 20, f"{name}: {prop.attrib['Name']} has no tooltip"


@pytest.mark.parametrize("name", ALL_WORKFLOWS)
def test_secure_string_is_declared_as_studio_writes_it(name: str) -> None:
    text = (PROJECT / name).read_text(encoding="utf-8")
    assert 'xmlns:ss="clr-namespace:System.Security;assembly=System.Private.CoreLib"' in text
    declared = members(PROJECT / name)
    assert declared["in_Secret"] == "InArgument(ss:SecureString)"
    assert declared["in_Environment"] == "InArgument(scg:Dictionary(x:String, x:String))"
    assert declared["in_SecretVariable"] == "InArgument(x:String)"


def test_the_try_catch_catches_everything_and_its_finally_deletes_both_files() -> None:
    root = ET.parse(PROJECT / RUNNER).getroot()
    (trycatch,) = root.iter(f"{ACT}TryCatch")
    catches = trycatch.findall(f"{ACT}TryCatch.Catches/{ACT}Catch")
    assert [c.attrib[f"{X}TypeArguments"] for c in catches] == ["s:Exception"]
    assigned = {(el.text or "").strip("[]") for el in catches[0].iter(f"{ACT}OutArgument")}
    assert set(TYPED_OUTPUTS) <= assigned, "the Catch must set every output"
    catch_text = ET.tostring(catches[0], encoding="unicode")
    assert '"activity_error"' in catch_text and "-2" in catch_text and "exception.Message" in catch_text
    deleted = [el.attrib["Path"] for el in trycatch.iter(f"{UI}Delete")]
    assert deleted == ["[argsPath]", "[outputPath]"]
    finally_block = trycatch.find(f"{ACT}TryCatch.Finally")
    assert finally_block is not None and len(list(finally_block.iter(f"{UI}Delete"))) == 2
    # Everything that can throw once the files exist runs inside the Try.
    try_block = trycatch.find(f"{ACT}TryCatch.Try")
    assert try_block is not None
    inside = {el.tag for el in try_block.iter()}
    assert {f"{UI}WriteTextFile", f"{UI}InvokeCode", f"{UI}ReadTextFile"} <= inside
    assert "DateParseHandling" in ET.tostring(try_block, encoding="unicode")


def test_the_answer_is_parsed_with_dates_left_as_text() -> None:
    text = (PROJECT / RUNNER).read_text(encoding="utf-8")
    assert "DeserializeJson" not in text, "Deserialize JSON's defaults turn ISO dates into DateTime"
    assert (
        "JsonConvert.DeserializeObject(Of JObject)(outputText, New JsonSerializerSettings With "
        "{.DateParseHandling = DateParseHandling.None})" in text
    )


def test_the_watchdog_stops_the_whole_process_tree() -> None:
    source = (KIT / "uipath" / "RunDocrelay.vb").read_text(encoding="utf-8")
    assert "child.Kill(True)" in source
    assert "child.Kill()" not in source


def test_secrets_go_into_the_child_environment_only() -> None:
    source = (KIT / "uipath" / "RunDocrelay.vb").read_text(encoding="utf-8")
    assert "startInfo.Environment(variable.Key) = variable.Value" in source
    assert (
        "startInfo.Environment(secretVariable) = New System.Net.NetworkCredential(String.Empty, secret)"
        in (source)
    )
    assert "SetEnvironmentVariable" not in source, "the robot's own environment must stay untouched"
    for name in PUBLIC_WORKFLOWS:
        from_xaml = uipath_workflow.arguments_expression(PROJECT / name)
        assert "in_Secret" not in from_xaml and "in_Environment" not in from_xaml, name


PATH_KEYS = {"files", "file", "paths", "journal", "csv"}


@pytest.mark.parametrize("name", PUBLIC_WORKFLOWS)
def test_relative_paths_become_absolute_against_the_robot_folder(name: str, tmp_path: Path) -> None:
    declared = uipath_workflow.declared_inputs(PROJECT / name)
    inputs = {key: "sub folder/item ø.pdf" for key, value in declared.items() if value is None}
    fixed = {
        "in_Provider": "local",
        "in_Profile": "",
        "in_Model": "",
        "in_Job": "drjob1.x",
        "in_Glob": "*.pdf",
    }
    inputs.update({key: value for key, value in fixed.items() if key in declared})
    for key in ("in_Environment", "in_Secret", "in_SecretVariable", "in_WorkFolder"):
        inputs.pop(key, None)
    text, watchdog = uipath_workflow.arguments_file(name.removesuffix(".xaml"), inputs, tmp_path)
    written = json.loads(text)
    assert text.isascii() and watchdog > 0
    for key in PATH_KEYS & set(written):
        values = written[key] if isinstance(written[key], list) else [written[key]]
        assert values == [str(tmp_path / "sub folder" / "item ø.pdf")], (name, key)


def test_an_empty_path_is_passed_on_for_docrelay_to_refuse_not_thrown(tmp_path: Path) -> None:
    text, _ = uipath_workflow.arguments_file("ExtractDocument", {"in_FilePath": ""}, tmp_path)
    assert json.loads(text)["files"] == [""]


def test_a_model_file_is_made_absolute_but_a_model_id_is_not(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "invoice.json").write_text("{}")
    for model, expected in (
        ("models/invoice.json", str(tmp_path / "models" / "invoice.json")),
        ("las:model:x", "las:model:x"),
    ):
        text, _ = uipath_workflow.arguments_file(
            "ExtractDocument", {"in_FilePath": "a.pdf", "in_Model": model}, tmp_path
        )
        assert json.loads(text)["model"] == expected


def test_the_expression_reader_refuses_what_it_does_not_know(tmp_path: Path) -> None:
    robot = uipath_workflow.Robot({"in_X": "a"}, tmp_path)
    assert uipath_workflow.evaluate('If(String.IsNullOrWhiteSpace(in_X), Nothing, in_X & "b")', robot) == "ab"
    for expression in ("Environment.GetEnvironmentVariable(in_X)", "in_Y", "New DataTable()", "in_X Mod 2"):
        with pytest.raises(uipath_workflow.VbError):
            uipath_workflow.evaluate(expression, robot)


def test_docs_name_the_real_arguments() -> None:
    docs = (REPO / "docs" / "rpa.md").read_text(encoding="utf-8")
    uipath = docs[docs.index("### UiPath") : docs.index("### Power Automate Desktop")]
    for stale in ("`ExePath`", "`Ok`", "`Result`", "`ErrorType`", "`ExitCode`", "`Job`"):
        assert stale not in uipath, stale
    named = set(re.findall(r"`((?:in|out)_\w+)`", docs))
    declared = {name for workflow in PUBLIC_WORKFLOWS for name in members(PROJECT / workflow)}
    assert named and named <= declared, named - declared


# -- the end-to-end check, against the installed program --------------------------------------------
def test_rpa_e2e_passes_against_the_installed_command() -> None:
    """packaging/rpa_e2e.py; scripts/test.sh runs it against the built executable as well."""
    done = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "rpa_e2e.py"), docrelay_executable()],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "8 of 8 RPA checks passed" in done.stdout


def test_rpa_e2e_needs_an_existing_binary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "packaging" / "rpa_e2e.py"), str(tmp_path / "docrelay")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "build it first" in done.stderr


def test_scripts_test_sh_runs_the_e2e_check_against_the_built_binary() -> None:
    script = (REPO / "scripts" / "test.sh").read_text(encoding="utf-8")
    build = script.index("packaging/build.py")
    assert build < script.index('"$VENV_PY" packaging/rpa_e2e.py dist/docrelay/docrelay')


# -- the Windows workflow and the smoke process ------------------------------------------------------
SMOKE = REPO / "tests" / "uipath" / "DocRelaySmoke"
DR = "{clr-namespace:DocRelay;assembly=DocRelay}"


def test_windows_workflow_analyzes_and_packs_the_library_and_the_smoke_process() -> None:
    import yaml

    workflow = yaml.safe_load((REPO / ".github" / "workflows" / "uipath.yml").read_text(encoding="utf-8"))
    library, smoke_run = workflow["jobs"]["library"], workflow["jobs"]["smoke-run"]
    assert library["runs-on"] == "windows-latest"
    runs = " | ".join(step.get("run", "") for step in library["steps"])
    project = "uipath_activity\\uipath\\DocRelay\\project.json"
    assert f"uipcli package analyze {project}" in " ".join(runs.split())
    assert "--stopOnRuleViolation" in runs
    assert f"uipcli package pack {project} -o out\\feed" in runs
    assert "uipcli package pack tests\\uipath\\DocRelaySmoke\\project.json" in runs
    assert "--nugetConfigFilePath out\\nuget.config" in runs
    assert "packaging/rpa_e2e.py dist\\docrelay\\docrelay.exe" in runs
    assert runs.index("packaging/build.py") < runs.index("rpa_e2e.py") < runs.index("uipcli package analyze")
    assert smoke_run["needs"] == "library"
    assert smoke_run["runs-on"] == ["self-hosted", "windows", "uipath-robot"]
    robot = " ".join(step.get("run", "") for step in smoke_run["steps"])
    assert "execute --file $package --input $inputs" in robot and "$LASTEXITCODE" in robot


def test_the_smoke_process_calls_each_activity_with_real_arguments() -> None:
    project = json.loads((SMOKE / "project.json").read_text(encoding="utf-8"))
    library = json.loads((PROJECT / "project.json").read_text(encoding="utf-8"))
    assert project["dependencies"]["DocRelay"] == f"[{library['projectVersion']}]"
    assert project["designOptions"]["outputType"] == "Process" and project["main"] == "Main.xaml"
    root = ET.parse(SMOKE / "Main.xaml").getroot()
    called: dict[str, int] = {}
    for element in root.iter():
        if not element.tag.startswith(DR):
            continue
        name = element.tag[len(DR) :]
        called[name] = called.get(name, 0) + 1
        declared = members(PROJECT / f"{name}.xaml")
        given = {key for key in element.attrib if key.startswith(("in_", "out_"))}
        assert given <= set(declared), given - set(declared)
        assert set(TYPED_OUTPUTS) <= given, f"{name}: every output is bound"
        required = {"in_ExePath", "in_FilePath", "in_Job", "in_FolderPath"} & set(declared)
        assert required <= given, f"{name}: {required - given}"
        assert element.attrib["in_Provider"] == '["local"]'
    assert set(called) == {n.removesuffix(".xaml") for n in PUBLIC_WORKFLOWS}
    text = (SMOKE / "Main.xaml").read_text(encoding="utf-8")
    assert "2026-03-14" in text and "input_error" in text
