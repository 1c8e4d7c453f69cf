"""Loaded by subprocesses whose PYTHONPATH starts with this folder: registers test providers.

This lets CLI tests reach every exit code through the real `docrelay` program, with no patching.
"""

from core.providers import register

for _name in (
    "crashing",
    "never-done",
    "auth-refused",
    "rate-limited",
    "service-down",
    "unreachable",
    "job-fails",
):
    register(_name, "tests.cli_plugins.fakeproviders:" + "".join(p.title() for p in _name.split("-")))
