"""A keyring backend for tests: passwords in the JSON file named by DOCRELAY_TEST_KEYRING_FILE.

Select it with PYTHON_KEYRING_BACKEND=tests.keyring_backend.FileKeyring (keyring reads that variable), with
the repository root on PYTHONPATH in subprocesses, or in-process with keyring.set_keyring(FileKeyring()).
Never use it outside tests: it stores passwords in plain text.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.compat import properties
from keyring.errors import PasswordDeleteError

FILE_ENV = "DOCRELAY_TEST_KEYRING_FILE"


class FileKeyring(KeyringBackend):
    @properties.classproperty
    def priority(cls) -> float:
        # Not viable unless its file is configured, so keyring's auto-detection never picks it by accident.
        cls._file()
        return 0.5

    @classmethod
    def _file(cls) -> Path:
        name = os.environ.get(FILE_ENV)
        if not name:
            raise RuntimeError(f"{FILE_ENV} is not set")
        return Path(name)

    def _load(self) -> dict[str, dict[str, str]]:
        path = self._file()
        if not path.exists():
            return {}
        data: dict[str, dict[str, str]] = json.loads(path.read_text(encoding="utf-8"))
        return data

    def _save(self, data: dict[str, dict[str, str]]) -> None:
        path = self._file()
        path.parent.mkdir(parents=True, exist_ok=True)
        temp = path.with_name(path.name + ".tmp")
        temp.write_text(json.dumps(data, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(f"{service}/{username} not found")
        del data[service][username]
        self._save(data)
