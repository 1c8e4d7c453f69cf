"""Models of the local engine: Cradl fieldConfig JSON, built-in (models/*.json) or a user's file.

    {"fieldConfig": {"total": {"type": "amount", "name": "Total", "description": "Amount to pay"},
                     "items": {"type": "lines", "fields": {"text": {"type": "string"}, ...}}}}

A bare fieldConfig object works too. docrelay reads three optional extra keys per field — `labels`,
`weakLabels`, `excludeLabels` (label synonyms) — plus `pattern` (a regular expression the value must
match) and, on a `lines` field, `stopLabels` and `skipLabels`. Without labels, the key, `name` and
`description` serve as label hints; a key the built-in invoice model knows borrows its labels.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, NotFoundError
from core.files import parse_json_text, read_small_text
from core.hints import setting
from core.providers.local.labels import Label, tokenize_label

MODELS_DIR = Path(__file__).with_name("models")
MODEL_FILE_LIMIT = 4 * 1024 * 1024
FIELD_TYPES = ("amount", "date", "digits", "enum", "numeric", "string")
MODEL_PATH_HINT = (
    "A model may also be the path of a Cradl fieldConfig JSON file (e.g. --model my-fields.json)."
)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    type: str
    name: str | None = None
    description: str | None = None
    labels: tuple[Label, ...] = ()
    weak_labels: tuple[Label, ...] = ()
    exclude_labels: tuple[Label, ...] = ()
    enum: tuple[str, ...] = ()
    max_length: int | None = None
    format: str | None = None
    pattern: re.Pattern[str] | None = None


@dataclass(frozen=True)
class TableSpec:
    key: str
    name: str | None
    description: str | None
    columns: tuple[FieldSpec, ...]
    stop_labels: tuple[Label, ...] = ()
    skip_labels: tuple[Label, ...] = ()


@dataclass(frozen=True)
class ModelSpec:
    id: str  # what the user asked for: a built-in name or the file path as given
    name: str
    description: str | None
    fields: tuple[FieldSpec, ...]
    tables: tuple[TableSpec, ...]
    digest: str  # sha256 of the JSON text, so results of different model versions never mix
    path: str  # absolute path of the JSON file
    builtin: bool = False
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def field_keys(self) -> list[str]:
        return [f.key for f in self.fields] + [t.key for t in self.tables]

    @property
    def field_types(self) -> dict[str, str]:
        """Each field's type; a table as "lines", its columns as "table.column"."""
        types = {f.key: f.type for f in self.fields}
        for table in self.tables:
            types[table.key] = "lines"
            types.update({f"{table.key}.{c.key}": c.type for c in table.columns})
        return types


def builtin_model_names() -> list[str]:
    return sorted(p.stem for p in MODELS_DIR.glob("*.json"))


def looks_like_path(model: str) -> bool:
    return model.lower().endswith(".json") or "/" in model or "\\" in model


def load_model(model: str) -> ModelSpec:
    """A built-in model by name, or a fieldConfig JSON file by path."""
    text = model.strip()
    if not looks_like_path(text):
        builtin = MODELS_DIR / f"{text.lower()}.json"
        if builtin.is_file():
            return _load_cached(str(builtin), builtin.stat().st_mtime_ns, text.lower(), True)
        if not Path(text).is_file():
            names = ", ".join(builtin_model_names()) or "none"
            raise NotFoundError(
                f"Unknown model {model!r} for the local provider; available models: {names}",
                hint=MODEL_PATH_HINT,
                provider="local",
            )
    path = Path(text).expanduser()
    if not path.is_file():
        raise NotFoundError(
            f"Model file not found: {model}",
            hint=f"Check the path. Built-in models: {', '.join(builtin_model_names())}.",
            provider="local",
        )
    resolved = path.resolve()
    return _load_cached(str(resolved), resolved.stat().st_mtime_ns, model, False)


@functools.lru_cache(maxsize=32)
def _load_cached(path: str, mtime_ns: int, model_id: str, builtin: bool) -> ModelSpec:
    raw_text = read_small_text(
        path,
        limit=MODEL_FILE_LIMIT,
        what="the model file",
        error=ConfigError,
        hint=f"Check the {setting('model')} path.",
    )
    try:
        document = parse_json_text(raw_text)
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"Model file {path} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            hint="Fix the JSON (a fieldConfig object, as in Cradl's model definitions).",
        ) from exc
    except ValueError as exc:
        raise ConfigError(
            f"Model file {path} is not usable: {exc}",
            hint="Fix the JSON (a fieldConfig object, as in Cradl's model definitions).",
        ) from None
    return parse_model(document, model_id=model_id, path=path, digest=_digest(raw_text), builtin=builtin)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_model(document: Any, *, model_id: str, path: str, digest: str, builtin: bool = False) -> ModelSpec:
    where = f"Model file {path}"
    if not isinstance(document, dict):
        raise ConfigError(f"{where} must hold a JSON object", hint='Use {"fieldConfig": {...}}.')
    config = document.get("fieldConfig", document)
    if not isinstance(config, dict) or not config:
        raise ConfigError(f"{where} has no fields", hint='Add fields under "fieldConfig".')
    borrowed = {} if builtin else _builtin_label_source()
    fields: list[FieldSpec] = []
    tables: list[TableSpec] = []
    for key, entry in config.items():
        if key in ("name", "description") and not isinstance(entry, dict):
            continue
        if not isinstance(entry, dict) or not isinstance(entry.get("type"), str):
            raise ConfigError(
                f'{where}: field {key!r} needs an object with a "type"',
                hint=f"Use one of: {', '.join((*FIELD_TYPES, 'lines'))}.",
            )
        if entry["type"] == "lines":
            tables.append(_parse_table(key, entry, where, borrowed))
        else:
            fields.append(_parse_field(key, entry, where, borrowed.get(key)))
    name = document.get("name")
    if not isinstance(name, str):
        name = Path(path).stem
    description = document.get("description") if isinstance(document.get("description"), str) else None
    return ModelSpec(
        id=model_id,
        name=name,
        description=description,
        fields=tuple(fields),
        tables=tuple(tables),
        digest=digest,
        path=path,
        builtin=builtin,
    )


def _labels(entry: dict[str, Any], key: str, where: str, field_key: str) -> tuple[Label, ...]:
    values = entry.get(key, [])
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f"{where}: {field_key}.{key} must be a list of strings", hint="Fix the model file.")
    return tuple(dict.fromkeys(label for label in (tokenize_label(v) for v in values) if label))


def _hint_labels(key: str, entry: dict[str, Any]) -> tuple[tuple[Label, ...], tuple[Label, ...]]:
    """Strong and weak labels from the key, `name` and `description` of a field without `labels`."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", key).replace("_", " ").replace("-", " ")
    strong = [tokenize_label(spaced)]
    name = entry.get("name")
    if isinstance(name, str):
        strong.append(tokenize_label(name))
    weak: list[Label] = []
    description = entry.get("description")
    if isinstance(description, str):
        strong.extend(tokenize_label(q) for q in re.findall(r"[\"'“‘]([^\"'”’]{1,40})[\"'”’]", description))
        for part in re.split(r"[;,/()]|\bor\b|\boder\b|\bou\b|\beller\b|\bof\b", description):
            words = tokenize_label(part)
            if 0 < len(words) <= 4:
                weak.append(words)
    return tuple(dict.fromkeys(s for s in strong if s)), tuple(dict.fromkeys(w for w in weak if w))


def _parse_field(key: str, entry: dict[str, Any], where: str, borrowed: FieldSpec | None) -> FieldSpec:
    kind = entry["type"]
    if kind not in FIELD_TYPES:
        raise ConfigError(
            f"{where}: field {key!r} has unknown type {kind!r}",
            hint=f"Use one of: {', '.join((*FIELD_TYPES, 'lines'))}.",
        )
    labels = _labels(entry, "labels", where, key)
    weak = _labels(entry, "weakLabels", where, key)
    exclude = _labels(entry, "excludeLabels", where, key)
    fmt = entry.get("format") if isinstance(entry.get("format"), str) else None
    if not labels:
        hinted_strong, hinted_weak = _hint_labels(key, entry)
        if borrowed is not None and borrowed.type == kind:
            labels = tuple(dict.fromkeys((*hinted_strong, *borrowed.labels)))
            weak = weak or borrowed.weak_labels
            exclude = exclude or borrowed.exclude_labels
            fmt = fmt or borrowed.format
        else:
            labels = hinted_strong
        weak = tuple(dict.fromkeys(w for w in (*weak, *hinted_weak) if w not in labels))
    enum = entry.get("enum", [])
    if not isinstance(enum, list) or not all(isinstance(v, str) for v in enum):
        raise ConfigError(f"{where}: {key}.enum must be a list of strings", hint="Fix the model file.")
    if kind == "enum" and not enum and fmt != "currency":
        raise ConfigError(f'{where}: enum field {key!r} needs an "enum" list', hint="Add the allowed values.")
    max_length = entry.get("maxLength")
    if max_length is not None and (not isinstance(max_length, int) or max_length < 1):
        raise ConfigError(f"{where}: {key}.maxLength must be a positive integer", hint="Fix the model file.")
    pattern = entry.get("pattern")
    try:
        compiled = re.compile(pattern) if isinstance(pattern, str) else None
    except re.error as exc:
        raise ConfigError(
            f"{where}: {key}.pattern is not a valid regular expression: {exc}", hint="Fix it."
        ) from exc
    description = entry.get("description")
    name = entry.get("name")
    return FieldSpec(
        key=key,
        type=kind,
        name=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        labels=labels,
        weak_labels=weak,
        exclude_labels=exclude,
        enum=tuple(enum),
        max_length=max_length,
        format=fmt,
        pattern=compiled,
    )


def _parse_table(key: str, entry: dict[str, Any], where: str, borrowed: dict[str, Any]) -> TableSpec:
    columns_config = entry.get("fields")
    if not isinstance(columns_config, dict) or not columns_config:
        raise ConfigError(
            f'{where}: lines field {key!r} needs "fields"', hint="Describe the table's columns."
        )
    builtin_table = borrowed.get(key)
    builtin_columns = (
        {c.key: c for c in builtin_table.columns} if isinstance(builtin_table, TableSpec) else {}
    )
    if not builtin_columns:  # any built-in table lends its column labels by column key
        for value in borrowed.values():
            if isinstance(value, TableSpec):
                builtin_columns = {c.key: c for c in value.columns}
    columns = []
    for column_key, column_entry in columns_config.items():
        if not isinstance(column_entry, dict) or column_entry.get("type") == "lines":
            raise ConfigError(
                f'{where}: column {key}.{column_key} needs an object with a "type" (not lines)',
                hint=f"Use one of: {', '.join(FIELD_TYPES)}.",
            )
        columns.append(_parse_field(column_key, column_entry, where, builtin_columns.get(column_key)))
    stop = _labels(entry, "stopLabels", where, key)
    skip = _labels(entry, "skipLabels", where, key)
    if isinstance(builtin_table, TableSpec) or (not stop and builtin_columns):
        source = builtin_table if isinstance(builtin_table, TableSpec) else _any_table(borrowed)
        if source is not None:
            stop = stop or source.stop_labels
            skip = skip or source.skip_labels
    name, description = entry.get("name"), entry.get("description")
    return TableSpec(
        key=key,
        name=name if isinstance(name, str) else None,
        description=description if isinstance(description, str) else None,
        columns=tuple(columns),
        stop_labels=stop,
        skip_labels=skip,
    )


def _any_table(borrowed: dict[str, Any]) -> TableSpec | None:
    return next((v for v in borrowed.values() if isinstance(v, TableSpec)), None)


def _builtin_label_source() -> dict[str, Any]:
    """Fields and tables of the built-in invoice model, by key, to lend labels to custom models."""
    try:
        invoice = load_model("invoice")
    except (ConfigError, NotFoundError):
        return {}
    out: dict[str, Any] = {f.key: f for f in invoice.fields}
    out.update({t.key: t for t in invoice.tables})
    return out
