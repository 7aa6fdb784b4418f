#!/usr/bin/env bash
# Run every test of Minuku on this machine, setting up what they need first:
#   1. the test venv (.venv-test) with the host installed from this checkout (not editable:
#      the tests use the installed package, data files included) and the test tools;
#   2. Thunderbird, Xvfb and a CJK font for the end-to-end test (Debian/Ubuntu, as root, when
#      missing; elsewhere that test skips and says why);
#   3. the add-on's node tools (web-ext) from package-lock.json;
# then ruff, mypy --strict, the add-on's node tests (web-ext lint included), and pytest (e2e
# included).
# Extra arguments go to pytest, e.g. ./test.sh -k lookalike
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
VENV=.venv-test
PY="${PYTHON:-python3}"

step() { printf '\n== %s\n' "$*"; }

step "test venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  "$PY" -m venv "$VENV"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null 2>&1 || true
# Reinstall the package every run so the tests see this checkout's code and data.
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps . 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -m pip install -q --disable-pip-version-check '.[test]' 2>&1 | grep -v '^WARNING: Location' || true
"$VENV/bin/python" -c 'import minuku, dkim, spf, pytest' || { echo "test venv is broken" >&2; exit 1; }

if [ -x tests/e2e/setup.sh ]; then
  step "Thunderbird for the end-to-end test"
  MINUKU_PYTHON="$PWD/$VENV/bin/python" tests/e2e/setup.sh || echo "(Thunderbird could not be set up; the end-to-end test will skip and say why)"
fi

step "ruff"
"$VENV/bin/ruff" check host tests bench
"$VENV/bin/ruff" format --check host tests bench

step "mypy --strict"
"$VENV/bin/mypy"

if command -v node >/dev/null 2>&1 && [ -d tests/extension ]; then
  step "add-on tests (node --test)"
  if [ -f package-lock.json ]; then
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
  fi
  node --test tests/extension/   # includes web-ext lint (no errors allowed)
else
  echo "(node is missing: add-on tests skipped)"
fi

step "pytest"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
rc=$?
set -e
exit $rc
