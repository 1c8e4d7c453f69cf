#!/usr/bin/env bash
# Installs everything the tests need into .venv, then runs every check: lint, format, types, pytest.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
VENV_PY=.venv/bin/python
"$VENV_PY" -m pip install --quiet --disable-pip-version-check --upgrade pip
"$VENV_PY" -m pip install --quiet --disable-pip-version-check -e ".[test,build]"
# mitmproxy, the real TLS-intercepting proxy of tests/test_tls_proxy.py, in a venv of its own so that its
# pinned dependencies never steer docrelay's.
if [ ! -x .venv-mitm/bin/python ]; then
  "$PYTHON" -m venv .venv-mitm
fi
.venv-mitm/bin/python -m pip install --quiet --disable-pip-version-check "mitmproxy==11.0.2"

echo "== ruff (lint)"
.venv/bin/ruff check .
echo "== ruff (format)"
.venv/bin/ruff format --check .
echo "== mypy"
.venv/bin/mypy

# Robot Framework (issue 6): lint and format check of every .robot file, then the acceptance suites and
# the example robot, each run by `robot` against the emulators and the local provider. Outputs go to
# build/robot; settings and caches to a temporary folder, so the developer's docrelay.toml is not read.
# (The libdoc HTML and libspec are checked current by pytest, through scripts/generate_docs.py --check.)
echo "== robot framework (robocop, acceptance suites, example robot)"
.venv/bin/robocop check tests/robot examples/robot
.venv/bin/robocop format --check tests/robot examples/robot
ROBOT_HOME="$(mktemp -d)"
rm -rf build/robot
env -u DOCRELAY_PROVIDER -u DOCRELAY_PROFILE -u DOCRELAY_TIMEOUT \
  DOCRELAY_CONFIG_FILE="$ROBOT_HOME/docrelay.toml" DOCRELAY_CACHE_DIR="$ROBOT_HOME/cache" \
  .venv/bin/robot --console dotted --name "DocRelay acceptance" --pythonpath . --outputdir build/robot/tests tests/robot
env -u DOCRELAY_PROVIDER -u DOCRELAY_PROFILE -u DOCRELAY_TIMEOUT \
  DOCRELAY_CONFIG_FILE="$ROBOT_HOME/docrelay.toml" DOCRELAY_CACHE_DIR="$ROBOT_HOME/cache" \
  .venv/bin/robot --console dotted --name "Invoice robot example" --outputdir build/robot/examples examples/robot
rm -rf "$ROBOT_HOME"

echo "== pytest"
.venv/bin/pytest "$@"

# The packaged executable (issue 7): build the one-folder bundle, zip and SHA256SUMS with PyInstaller,
# then run the smoke test against the built binary (not Python): local provider, Cradl emulator over
# HTTPS, and the exit codes of the common failures. A missing PyInstaller fails here, never skips.
echo "== packaged executable (build + smoke test)"
"$VENV_PY" packaging/build.py
"$VENV_PY" packaging/smoke_test.py dist/docrelay/docrelay
