"""Regenerate the generated documentation files; `--check` fails if any is out of date (run by the tests)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def result_schema() -> str:
    from core.models import result_json_schema

    return json.dumps(result_json_schema(), indent=2, ensure_ascii=False) + "\n"


GENERATED: dict[Path, Callable[[], str]] = {
    REPO / "docs" / "schema" / "result.schema.json": result_schema,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report files that are out of date")
    args = parser.parse_args()
    stale = []
    for path, render in GENERATED.items():
        text = render()
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(("out of date: " if args.check else "wrote: ") + str(path.relative_to(REPO)))
    return 1 if stale and args.check else 0


if __name__ == "__main__":
    raise SystemExit(main())
