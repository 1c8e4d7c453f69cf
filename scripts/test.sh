#!/usr/bin/env bash
# Installs everything the tests need into .venv, then runs every check: lint, format, types, pytest.
# This is the README's test command; .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

# LibreOffice headless opens, reads back and converts every workbook the Excel tests write (issue 11), and
# pdftoppm renders its PDF: Debian packages, installed here when missing (a fresh CI machine has neither).
# Missing after this step, the tests fail: they never skip.
if ! command -v soffice >/dev/null 2>&1 || ! command -v pdftoppm >/dev/null 2>&1; then
  echo "== installing LibreOffice (headless Calc) and poppler-utils"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
    libreoffice-calc-nogui poppler-utils
fi

# The Office add-in (issue 12): Debian's Chromium for the task pane's browser test (Playwright drives it;
# no browser is ever downloaded), Node and npm for its JavaScript tests. Installed here when missing (a
# Node from NodeSource brings its own npm, which Debian's npm package would conflict with).
if ! command -v chromium >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "== installing chromium, nodejs and npm"
  SUDO=""
  if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
  PACKAGES="chromium"
  command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs"
  command -v npm >/dev/null 2>&1 || PACKAGES="$PACKAGES npm"
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=900 install -y -q --no-install-recommends \
    $PACKAGES
fi
# office-addin-mock and office-addin-manifest, exactly as package-lock.json pins them.
echo "== npm ci (the add-in's JavaScript test tools)"
npm ci --no-audit --no-fund --loglevel=error

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

# The shared journal (issue 17) is tested against a real PostgreSQL server that the tests start in a
# temporary folder (tests/pg_server.py): Debian's server package, installed here when missing.
echo "== postgresql (Debian package for the shared journal tests)"
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get -o DPkg::Lock::Timeout=900 update
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y --no-install-recommends \
    postgresql
fi

echo "== pytest"
.venv/bin/pytest "$@"

# The packaged executable (issue 7): build the one-folder bundle, zip and SHA256SUMS with PyInstaller,
# then run the smoke test against the built binary (not Python): local provider, Cradl emulator over
# HTTPS, and the exit codes of the common failures. A missing PyInstaller fails here, never skips.
echo "== packaged executable (build + smoke test)"
"$VENV_PY" packaging/build.py
"$VENV_PY" packaging/smoke_test.py dist/docrelay/docrelay
# The RPA kit (issue 18): each UiPath workflow's arguments file and the PAD secrets session, run against
# the same built binary.
"$VENV_PY" packaging/rpa_e2e.py dist/docrelay/docrelay
