"""The DocRelay UiPath library's steps, done as the workflows do them, so they can run where UiPath cannot.

- `arguments_file()` evaluates a public workflow's own VB expression (the Assign to `arguments`, read
  from its XAML) with the workflow's inputs and defaults, against a robot's current folder, and
  serializes it as RunDocrelay.xaml does (Newtonsoft, non-ASCII escaped, compact).
- `run_workflow()` then does what RunDocrelay.xaml and RunDocrelay.vb do: write the arguments file, start
  docrelay with `--args-file` and `--output` in docrelay's own folder, with `in_Environment` and the
  secret in the child's environment only, read the output file (else stdout), set the typed outputs,
  delete both files.

The evaluator knows the small VB subset the workflows use (literals, `If`, `CType`, `New JObject /
JProperty / JArray`, `Path.GetFullPath`, `File.Exists`, `String.IsNullOrWhiteSpace`, comparisons, `+`,
`&`) and fails loudly on anything else, so a workflow edit that it cannot follow breaks the tests.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
PROJECT = REPO / "uipath_activity" / "uipath" / "DocRelay"
X = "{http://schemas.microsoft.com/winfx/2006/xaml}"
UI = "{http://schemas.uipath.com/workflow/activities}"
ACTIVITIES = "{http://schemas.microsoft.com/netfx/2009/xaml/activities}"


class VbError(ValueError):
    """An expression outside the VB subset the workflows are known to use."""


# -- the VB subset ----------------------------------------------------------------------------------
_TOKEN = re.compile(
    r'\s*(?:(?P<str>"(?:[^"]|"")*")|(?P<num>\d+)|(?P<name>[A-Za-z_]\w*)|(?P<op>>=|<=|<>|[(),.<>=&+]))'
)
Node = tuple[Any, ...]


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if not match or match.end() == position:
            raise VbError(f"cannot read the expression at {text[position : position + 30]!r}")
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> str:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else ""

    def take(self, expected: str | None = None) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise VbError("the expression ends too early")
        token = self.tokens[self.index]
        if expected is not None and token[1] != expected:
            raise VbError(f"expected {expected!r}, found {token[1]!r}")
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self.expression()
        if self.index != len(self.tokens):
            raise VbError(f"unexpected {self.peek()!r}")
        return node

    def expression(self) -> Node:
        left = self.sum()
        if self.peek() in (">", "<", "=", ">=", "<=", "<>"):
            operator = self.take()[1]
            return ("compare", operator, left, self.sum())
        return left

    def sum(self) -> Node:
        node = self.primary()
        while self.peek() in ("&", "+"):
            node = ("binary", self.take()[1], node, self.primary())
        return node

    def arguments(self) -> list[Node]:
        self.take("(")
        items: list[Node] = []
        while self.peek() != ")":
            items.append(self.expression())
            if self.peek() == ",":
                self.take(",")
        self.take(")")
        return items

    def dotted(self) -> str:
        parts = [self.take()[1]]
        while self.peek() == ".":
            self.take(".")
            parts.append(self.take()[1])
        return ".".join(parts)

    def primary(self) -> Node:
        kind, value = self.take()
        if kind == "str":
            return ("const", value[1:-1].replace('""', '"'))
        if kind == "num":
            return ("const", int(value))
        if value == "(":
            node = self.expression()
            self.take(")")
            return node
        if kind != "name":
            raise VbError(f"unexpected {value!r}")
        if value in ("True", "False", "Nothing"):
            return ("const", {"True": True, "False": False, "Nothing": None}[value])
        if value == "New":
            return ("new", self.dotted(), self.arguments())
        if value == "If":
            return ("if", self.arguments())
        if value == "CType":
            self.take("(")
            inner = self.expression()
            self.take(",")
            self.dotted()
            self.take(")")
            return inner
        self.index -= 1
        name = self.dotted()
        if self.peek() == "(":
            return ("call", name, self.arguments())
        return ("var", name)


@dataclass
class Robot:
    """What the expressions see: the workflow's arguments and the robot's current folder."""

    values: dict[str, Any]
    current_folder: Path

    def full_path(self, path: str) -> str:
        return os.path.normpath(os.path.join(self.current_folder, path))

    def file_exists(self, path: str | None) -> bool:
        return bool(path) and os.path.isfile(os.path.join(self.current_folder, str(path)))


def evaluate(expression: str, robot: Robot) -> Any:
    return _eval(_Parser(expression).parse(), robot)


def _eval(node: Node, robot: Robot) -> Any:
    kind = node[0]
    if kind == "const":
        return node[1]
    if kind == "var":
        if node[1] not in robot.values:
            raise VbError(f"unknown name {node[1]}")
        return robot.values[node[1]]
    if kind == "if":
        items = node[1]
        if len(items) == 3:  # If(condition, a, b): only the chosen side is evaluated
            return _eval(items[1] if _eval(items[0], robot) else items[2], robot)
        if len(items) == 2:  # If(a, b): a unless it is Nothing
            first = _eval(items[0], robot)
            return first if first is not None else _eval(items[1], robot)
        raise VbError("If takes two or three arguments")
    args = [_eval(item, robot) for item in node[-1]] if kind in ("call", "new") else []
    if kind == "new":
        if node[1] == "JObject":
            return dict(args)
        if node[1] == "JProperty":
            return (args[0], args[1])
        if node[1] == "JArray":
            return list(args)
        raise VbError(f"New {node[1]} is not known here")
    if kind == "call":
        functions = {
            "Path.GetFullPath": robot.full_path,
            "File.Exists": robot.file_exists,
            "String.IsNullOrWhiteSpace": lambda text: text is None or not str(text).strip(),
        }
        if node[1] not in functions:
            raise VbError(f"{node[1]}() is not known here")
        return functions[node[1]](*args)
    left, right = _eval(node[2], robot), _eval(node[3], robot)
    if kind == "binary":
        return f"{left}{right}" if node[1] == "&" else left + right
    comparisons = {">": left > right, "<": left < right, "=": left == right}
    if node[1] not in comparisons:
        raise VbError(f"operator {node[1]} is not known here")
    return comparisons[node[1]]


# -- a workflow's arguments -------------------------------------------------------------------------
_UNSET = {"x:String": None, "x:Int32": 0, "x:Boolean": False}


def declared_inputs(xaml: Path) -> dict[str, Any]:
    """Each in_ argument's value when the caller leaves it unset: the workflow's default, else .NET's."""
    root = ET.parse(xaml).getroot()
    members = root.find(f"{X}Members")
    assert members is not None
    values: dict[str, Any] = {}
    for prop in members.findall(f"{X}Property"):
        name, typ = prop.attrib["Name"], prop.attrib["Type"]
        if name.startswith("in_"):
            values[name] = _UNSET.get(typ[len("InArgument(") : -1])
    prefix = f"{{clr-namespace:}}{root.attrib[f'{X}Class']}."
    for key, raw in root.attrib.items():
        if key.startswith(prefix):
            name = key[len(prefix) :]
            values[name] = {"True": True, "False": False}.get(raw, int(raw) if raw.isdigit() else raw)
    return values


def arguments_expression(xaml: Path) -> str:
    """The VB expression the workflow assigns to `arguments` (the arguments file's content)."""
    for assign in ET.parse(xaml).getroot().iter(f"{ACTIVITIES}Assign"):
        target = assign.find(f"{ACTIVITIES}Assign.To/{ACTIVITIES}OutArgument")
        value = assign.find(f"{ACTIVITIES}Assign.Value/{ACTIVITIES}InArgument")
        if target is not None and value is not None and (target.text or "").strip() == "[arguments]":
            return (value.text or "").strip()[1:-1]
    raise AssertionError(f"{xaml.name} assigns no arguments")


def runner_input(xaml: Path, key: str) -> str:
    """The VB expression a workflow passes to RunDocrelay.xaml as argument `key`."""
    for element in ET.parse(xaml).getroot().iter():
        if element.attrib.get(f"{X}Key") == key and element.tag.endswith("InArgument"):
            return (element.text or "").strip()[1:-1]
    raise AssertionError(f"{xaml.name} passes no {key}")


def arguments_file(workflow: str, inputs: dict[str, Any], current_folder: Path) -> tuple[str, int]:
    """(the arguments file's text, the watchdog's seconds) as `workflow` builds them for these inputs."""
    xaml = PROJECT / f"{workflow}.xaml"
    values = {**declared_inputs(xaml), **inputs}
    unknown = set(inputs) - set(declared_inputs(xaml))
    if unknown:
        raise VbError(f"{workflow} has no argument {sorted(unknown)}")
    robot = Robot(values, current_folder)
    arguments = evaluate(arguments_expression(xaml), robot)
    watchdog = int(evaluate(runner_input(xaml, "in_ProcessTimeoutSeconds"), robot))
    # JsonConvert.SerializeObject(..., StringEscapeHandling.EscapeNonAscii): compact, nulls kept.
    return json.dumps(arguments, ensure_ascii=True, separators=(",", ":")), watchdog


# -- RunDocrelay ------------------------------------------------------------------------------------
@dataclass
class Outputs:
    """The typed outputs, set as RunDocrelay.xaml sets them; plus what the check may look at."""

    ok: bool
    result: dict[str, Any] | None
    error_type: str
    error_message: str
    exit_code: int
    job: str
    arguments_text: str = ""
    stdout: str = ""
    stderr: str = ""
    output_text: str = ""
    leftovers: list[Path] = field(default_factory=list)


def run_workflow(
    binary: Path,
    workflow: str,
    inputs: dict[str, Any],
    *,
    current_folder: Path,
    work_folder: Path,
    robot_env: dict[str, str],
) -> Outputs:
    """Run docrelay as the workflow does and return its typed outputs."""
    arguments_text, watchdog = arguments_file(workflow, inputs, current_folder)
    values = {**declared_inputs(PROJECT / f"{workflow}.xaml"), **inputs}
    run_name = "docrelay-" + uuid.uuid4().hex
    args_path = work_folder / f"{run_name}.args.json"
    output_path = work_folder / f"{run_name}.output.json"
    child_env = dict(robot_env)  # ProcessStartInfo.Environment starts as the robot's environment
    child_env.update(values.get("in_Environment") or {})
    if values.get("in_Secret") is not None and (values.get("in_SecretVariable") or "").strip():
        child_env[values["in_SecretVariable"]] = values["in_Secret"]
    try:
        args_path.write_text(arguments_text, encoding="utf-8")
        try:
            done = subprocess.run(
                [str(binary), "--args-file", str(args_path), "--output", str(output_path)],
                cwd=binary.parent,
                env=child_env,
                capture_output=True,
                timeout=watchdog,
            )
            exit_code, stdout, stderr = (
                done.returncode,
                done.stdout.decode("utf-8", "replace"),
                done.stderr.decode("utf-8", "replace"),
            )
        except subprocess.TimeoutExpired:
            exit_code, stdout, stderr = -1, "", ""
        exists = output_path.exists()
        output_text = output_path.read_text(encoding="utf-8") if exists else stdout.strip()
        if not output_text.strip():
            kind = "process_timeout" if exit_code == -1 else "no_output"
            outputs = Outputs(
                False, None, kind, f"docrelay wrote no JSON (exit code {exit_code})", exit_code, ""
            )
        else:
            document = json.loads(output_text)  # dates stay text, as with DateParseHandling.None
            error = document.get("error") or {}
            data = document.get("data")
            job = (data or {}).get("job") if isinstance(data, dict) else None
            outputs = Outputs(
                ok=exit_code == 0 and document.get("ok") is True,
                result=data if isinstance(data, dict) else None,
                error_type=error.get("type", ""),
                error_message=error.get("message", ""),
                exit_code=exit_code,
                job=str(job or error.get("job") or ""),
            )
        outputs.arguments_text, outputs.stdout, outputs.stderr = arguments_text, stdout, stderr
        outputs.output_text = output_text
    finally:
        for path in (args_path, output_path):
            path.unlink(missing_ok=True)
    outputs.leftovers = sorted(work_folder.glob(f"{run_name}*"))
    return outputs
