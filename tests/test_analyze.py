"""Text analysis: reading texts (core.textinput), Client.analyze, and `docrelay analyze` end to end
against the DeepOpinion emulator, whose text model tags aspects by keyword (see its textmodel.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from core.errors import InputError, UsageError
from core.textinput import read_texts
from tests.cli_helpers import emulator_env, run_docrelay
from tests.emulators.deepopinion import DeepopinionEmulator

SERVICE = "deepopinion"  # the `emu` fixture (tests/conftest.py) gives its emulator

TEXT_MODEL = "387"
MakeEmulator = Callable[..., DeepopinionEmulator]


def settings(emu: DeepopinionEmulator, organization: str | None = "1") -> dict[str, str]:
    values = {"url": emu.base_url, "email": emu.email, "password": emu.password}
    return {**values, "organization": organization} if organization else values


def rows(data: dict[str, Any]) -> list[dict[str, str | None]]:
    return [{column: cell["value"] for column, cell in row.items()} for row in data["tables"]["segments"]]


# -- reading texts --------------------------------------------------------------------------------------
def test_texts_given_directly_are_one_document_each() -> None:
    found = read_texts(["  Great staff. ", "", "Bad food"])
    assert found.texts == ["Great staff.", "Bad food"] and found.ids == ["text 1", "text 3"]
    assert found.info.name == "text" and found.info.content_type == "text/plain" and found.info.sha256


def test_txt_file_is_one_document_or_one_per_line(tmp_path: Path) -> None:
    path = tmp_path / "reviews.txt"
    path.write_text("Nice room.\n\nRude staff.\n", encoding="utf-8")
    whole = read_texts(paths=[path])
    assert whole.texts == ["Nice room.\n\nRude staff."] and whole.ids == ["reviews.txt"]
    assert whole.info.source == str(path.resolve())
    lines = read_texts(paths=[path], per_line=True)
    assert lines.texts == ["Nice room.", "Rude staff."] and lines.ids == ["reviews.txt:1", "reviews.txt:3"]


def test_csv_uses_the_text_column_and_the_ids(tmp_path: Path) -> None:
    path = tmp_path / "reviews.csv"
    path.write_text(
        'id,text,stars\nA-1,"Great breakfast, lovely room",5\nA-2,,1\nA-3,Rude staff,1\n', "utf-8"
    )
    found = read_texts(paths=[path])
    assert found.texts == ["Great breakfast, lovely room", "Rude staff"] and found.ids == ["A-1", "A-3"]
    assert found.info.content_type == "text/csv"


def test_csv_column_by_name_or_position_and_other_dialects(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("Kommentar;Note\nZimmer schön, Frühstück gut;5\n".encode("cp1252"))
    assert read_texts(paths=[path], column="kommentar").texts == ["Zimmer schön, Frühstück gut"]
    assert read_texts(paths=[path], column="0").ids == ["row 2"]
    single = tmp_path / "single.csv"
    single.write_text("\ufeffreview\nQuiet room\n", encoding="utf-8")
    assert read_texts(paths=[single]).texts == ["Quiet room"]


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "words"),
    [
        ("notes.docx", b"PK\x03\x04", {}, "only .txt and .csv"),
        ("empty.txt", b"   \n", {}, "the inputs are empty"),
        ("wide.csv", b"a,b\n1,2\n", {}, "none is named 'text'"),
        ("wide.csv", b"a,b\n1,2\n", {"column": "c"}, "has no column 'c'"),
        ("binary.txt", b"\x00\x01\x02", {}, "not a text file"),
        ("empty.csv", b"", {}, "is empty"),
        ("legacy.txt", b"caf\x81 \x8d", {}, "neither UTF-8 nor Windows-1252"),
        ("huge-field.csv", b"text\n" + b"x" * 200_000 + b"\n", {}, "not valid CSV"),
    ],
)
def test_bad_inputs_are_input_errors(
    tmp_path: Path, name: str, content: bytes, kwargs: dict[str, Any], words: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_texts(paths=[path], **kwargs)
    assert words in caught.value.message and caught.value.exit_code == 4 and caught.value.hint


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="File not found"):
        read_texts(paths=[tmp_path / "nope.txt"])


def test_too_large_and_too_many_are_input_errors(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("wb") as handle:
        handle.truncate(21 * 1024 * 1024)  # sparse: no 21 MB written
    with pytest.raises(InputError, match="too large for text analysis"):
        read_texts(paths=[big])
    many = tmp_path / "many.txt"
    many.write_text("ok\n" * 100_001, encoding="utf-8")
    with pytest.raises(InputError, match="Too many texts"):
        read_texts(paths=[many], per_line=True)


def test_folder_named_like_a_text_file_is_an_input_error(tmp_path: Path) -> None:
    (tmp_path / "dir.txt").mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_texts(paths=[tmp_path / "dir.txt"])


# -- Client.analyze, in process ---------------------------------------------------------------------------
def test_client_analyze_makes_a_segments_table(emu: DeepopinionEmulator, tmp_path: Path) -> None:
    from core.services import Client

    path = tmp_path / "reviews.csv"
    path.write_text("id,text\nr1,Great breakfast. The room was dirty!\nr2,Thanks\n", encoding="utf-8")
    with Client("deepopinion", settings=settings(emu), env={}) as client:
        result = client.analyze([path], model=TEXT_MODEL)
    data = result.to_dict()
    assert rows(data) == [
        {"document": "r1", "text": "Great breakfast.", "span": "0-16", "class": "Food", "label": "POS"},
        {
            "document": "r1",
            "text": "The room was dirty!",
            "span": "17-36",
            "class": "Comfort",
            "label": "NEG",
        },
        {"document": "r2", "text": "Thanks", "span": "0-6", "class": None, "label": None},
    ]
    assert data["document"]["name"] == "reviews.csv" and data["model"] == TEXT_MODEL
    assert data["extras"] == {
        "model_name": "Hotels Pre-Trained",
        "analysis_type": "ABSA",
        "documents": 2,
        "segments": 3,
    }
    assert emu.requests_to("POST /organizations/{organization_id}/analyze") == 1


def test_without_organization_the_global_path_is_used(emu: DeepopinionEmulator) -> None:
    from core.services import Client

    with Client("deepopinion", settings=settings(emu, organization=None), env={}) as client:
        result = client.analyze(texts=["Friendly staff"], model=TEXT_MODEL, split=False)
    assert rows(result.to_dict())[0]["class"] == "Staff"
    assert emu.requests_to("POST /analyze") == 1


def test_many_texts_are_sent_in_batches(emu: DeepopinionEmulator) -> None:
    from core.services import Client

    texts = [f"Review {n}: good value" for n in range(230)]
    with Client("deepopinion", settings=settings(emu), env={}) as client:
        result = client.analyze(texts=texts, model=TEXT_MODEL)
    table = rows(result.to_dict())
    assert (
        len(table) == 230
        and table[-1]["document"] == "text 230"
        and table[-1]["text"] == "Review 229: good value"
    )
    assert emu.requests_to("POST /organizations/{organization_id}/analyze") == 3
    assert result.raw is not None and len(result.raw["replies"]) == 3


def test_provider_refuses_an_empty_list(emu: DeepopinionEmulator) -> None:
    from core.services import Client

    with Client("deepopinion", settings=settings(emu), env={}) as client, pytest.raises(InputError):
        client.provider.analyze_text([], TEXT_MODEL)
    assert emu.stats["total_requests"] == 0


@pytest.mark.parametrize(
    ("body", "words"), [('{"model": "x"}', "without a list of documents"), ("oops", "not JSON")]
)
def test_malformed_analysis_answers_are_service_errors(
    emu: DeepopinionEmulator, body: str, words: str
) -> None:
    from core.errors import ServiceError
    from core.services import Client

    emu.script_body("POST /organizations/{organization_id}/analyze", body)
    with (
        Client("deepopinion", settings=settings(emu), env={}) as client,
        pytest.raises(ServiceError) as caught,
    ):
        client.analyze(texts=["Nice room"], model=TEXT_MODEL)
    assert words in caught.value.message and caught.value.exit_code == 8


def test_provider_without_text_analysis_says_so() -> None:
    from core.services import Client

    with Client("local", env={}) as client, pytest.raises(UsageError) as caught:
        client.analyze(texts=["anything"])
    assert "has no text analysis" in caught.value.message and "deepopinion" in caught.value.full_message


# -- `docrelay analyze` ------------------------------------------------------------------------------------
def test_cli_analyze_text_and_files(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    reviews = tmp_path / "reviews.txt"
    reviews.write_text("Quiet room\nExpensive dinner\n", encoding="utf-8")
    run = run_docrelay(
        "analyze",
        str(reviews),
        "--per-line",
        "--text",
        "Great location!",
        "--model",
        TEXT_MODEL,
        env=emulator_env(tmp_path, emu),
    )
    assert run.exit_code == 0, run.stdout
    data = run.document["data"]
    assert run.document["command"] == "analyze"
    assert [(r["document"], r["class"], r["label"]) for r in rows(data)] == [
        ("text 1", "Location", "POS"),
        ("reviews.txt:1", "Comfort", "POS"),
        ("reviews.txt:2", "Food", "NEG"),
        ("reviews.txt:2", "Price", "NEG"),
    ]


def test_cli_analyze_csv_column_and_no_split(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    export = tmp_path / "export.csv"
    export.write_text("ref,comment\n7,Nice bed. Slow reception.\n", encoding="utf-8")
    env = emulator_env(tmp_path, emu)
    args = ("analyze", str(export), "--column", "comment", "--model", TEXT_MODEL)
    split = rows(run_docrelay(*args, env=env).document["data"])
    whole = rows(run_docrelay(*args, "--no-split", env=env).document["data"])
    assert [r["span"] for r in split] == ["0-9", "10-25"]
    assert {r["span"] for r in whole} == {"0-25"} and {r["class"] for r in whole} == {"Comfort", "Staff"}


def test_cli_analyze_through_an_args_file(tmp_path: Path, emu: DeepopinionEmulator) -> None:
    reviews = tmp_path / "reviews.csv"
    reviews.write_text("text\nFriendly waiter\n", encoding="utf-8")
    args_file = tmp_path / "args.json"
    arguments = {"command": "analyze", "files": [str(reviews)], "model": TEXT_MODEL}
    args_file.write_text(json.dumps(arguments), encoding="utf-8")
    run = run_docrelay("--args-file", str(args_file), env=emulator_env(tmp_path, emu))
    assert run.exit_code == 0, run.stdout
    assert rows(run.document["data"])[0]["class"] == "Staff"


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        ((), 2, "Nothing to analyze"),
        (("--text", "hello"), 2, "needs a model id"),
        (("--text", "hello", "--model", "7"), 4, "cannot be used for text analysis"),
        (("--text", "hello", "--model", "12345"), 6, "Model 12345 not found"),
        (("missing.csv", "--model", TEXT_MODEL), 4, "File not found: missing.csv"),
        (("--text", "hello", "--model", TEXT_MODEL, "--provider", "local"), 2, "has no text analysis"),
    ],
)
def test_cli_analyze_errors(
    tmp_path: Path, emu: DeepopinionEmulator, args: tuple[str, ...], code: int, words: str
) -> None:
    run = run_docrelay("analyze", *args, env=emulator_env(tmp_path, emu), cwd=tmp_path)
    assert run.exit_code == code, run.stdout
    assert words in run.error["message"]
